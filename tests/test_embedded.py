"""`make run` on a machine with nothing configured: embedded PostgreSQL and Redis."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from kinerja_saas.seed import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
LOGIN = (
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) {"
    " accessToken me { region { slug } } } }"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dev_server(data_dir: Path, log_path: Path):
    port = _free_port()
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
                "kinerja_saas.cli",
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
    assert proc.returncode in (0, 130), log_path.read_text()
    redis_socket = re.search(r"REDIS_URL='unix://([^']+)'", log_path.read_text())
    assert redis_socket and not Path(redis_socket.group(1)).exists(), "embedded Redis still running"


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


def test_dev_command_runs_on_embedded_servers_and_reuses_its_data(tmp_path):
    data = tmp_path / "data"
    with dev_server(data, tmp_path / "first.log") as url:
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

    with dev_server(data, tmp_path / "second.log") as url:
        # The data is still there, and the seed added nothing the second time.
        assert _employee_count(url, _login(url)["accessToken"]) == first_count
