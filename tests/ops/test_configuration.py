"""An invalid configuration: one line per bad setting, no traceback, no secret's value."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kinerja_saas.settings import ConfigurationError, Settings, load_settings
from tests.conftest import ROOT

SMTP_PASSWORD = "smtp-sandi-rahasia-31337"
SHORT_SECRET = "jwt-pendek-31337"


def _run(env: dict[str, str], *command: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KINERJA_")}
    for name in ("DATABASE_URL", "REDIS_URL", "APP_DATABASE_URL", "RELAY_DATABASE_URL"):
        base.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "kinerja_saas.runtime.cli", *command],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("command", [("migrate",), ("serve", "--port", "8119"), ("worker",)])
def test_checks_across_settings_are_listed_each_on_a_line(command):
    result = _run(
        {
            "KINERJA_ENV": "production",
            "KINERJA_SMTP_HOST": "smtp.example.id",
            "KINERJA_SMTP_PASSWORD": SMTP_PASSWORD,
            "KINERJA_JWT_SECRET": SHORT_SECRET,
        },
        *command,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output and SMTP_PASSWORD not in output
    assert SHORT_SECRET not in output
    assert result.stderr.splitlines() == [
        "Invalid configuration:",
        "  KINERJA_PUBLIC_URL must be set when e-mail is sent",
        "  KINERJA_SMTP_FROM must be set when e-mail is sent",
        "  set both KINERJA_SMTP_USERNAME and KINERJA_SMTP_PASSWORD, or neither",
        "  KINERJA_JWT_SECRET must be set (32+ chars) in production",
        "  set APP_DATABASE_URL or KINERJA_APP_DB_PASSWORD in production",
    ]


def test_bad_values_are_named_by_their_variable_never_shown():
    result = _run(
        {
            "KINERJA_ENV": "production",
            "KINERJA_SMTP_PASSWORD": SMTP_PASSWORD,
            "KINERJA_DB_POOL_MAX": "banyak-31337",
            "KINERJA_SMTP_PORT": "99999",
            "DATABASE_URL": "x",
        },
        "migrate",
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in output
    assert SMTP_PASSWORD not in output and "31337" not in output and "99999" not in output
    lines = result.stderr.splitlines()
    assert lines[0] == "Invalid configuration:"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "KINERJA_DB_POOL_MAX",
        "KINERJA_SMTP_PORT",
    ]


def test_load_settings_raises_a_clean_exit_and_repr_hides_secrets():
    with pytest.raises(ConfigurationError) as refused:
        load_settings(env="production", smtp_password=SMTP_PASSWORD)
    assert SMTP_PASSWORD not in str(refused.value.code)
    settings = Settings(
        env="dev",
        jwt_secret="x" * 40,
        smtp_password=SMTP_PASSWORD,
        smtp_username="u",
        database_url="postgresql://owner:sandi-31337@db/kinerja",
    )
    assert SMTP_PASSWORD not in repr(settings) and "x" * 40 not in repr(settings)
    assert "sandi-31337" not in repr(settings)
