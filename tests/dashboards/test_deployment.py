"""The production command line is the same, and hardened, wherever it is written."""

import re
import shlex
from pathlib import Path

import pytest

from bench.browser import serve_command
from bench.wave import MAKE_RUN_POOL

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {
    "--allow-websocket-origin": None,
    "--liveness": None,
    "--warm": None,
    "--num-procs": None,
    "--check-unused-sessions": "5000",
    "--unused-session-lifetime": "15000",
    "--session-token-expiration": "300",
}
FORBIDDEN = ("--admin", "--profiler", "--dev", "--autoreload", "--show")


def _makefile_command() -> list[str]:
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if "/panel serve" in line)
    return shlex.split(line.strip())


def _dockerfile_command() -> list[str]:
    cmd = next(line for line in (ROOT / "Dockerfile").read_text().splitlines()
               if line.startswith("CMD "))
    shell = re.search(r'"exec (panel serve .*)"\]$', cmd).group(1).replace('\\"', '"')
    return shlex.split(shell)


COMMANDS = {
    "Makefile": _makefile_command,
    "Dockerfile": _dockerfile_command,
    "tests and benchmarks": lambda: serve_command(5006),
}


@pytest.mark.parametrize("where", list(COMMANDS))
def test_the_serve_command_is_hardened(where):
    words = COMMANDS[where]()
    for flag, value in REQUIRED.items():
        assert flag in words, f"{where} lacks {flag}"
        if value is not None:
            assert words[words.index(flag) + 1] == value, f"{where}: {flag} is not {value}"
    assert not set(FORBIDDEN) & set(words), f"{where} exposes a debug option"


def test_the_docker_image_runs_as_a_user_without_privileges():
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users
    assert users[-1] not in ("root", "0")
    last_user = max(i for i, line in enumerate(lines) if line.startswith("USER "))
    cmd = next(i for i, line in enumerate(lines) if line.startswith("CMD "))
    assert last_user < cmd


def test_the_served_app_builds_pages_ahead_for_a_class():
    """`make run` and the Docker image keep pages ready for a class of 12 arriving at once
    (dashboards/pool.py); both say the same size."""
    makefile = (ROOT / "Makefile").read_text()
    size = int(re.search(r"^POOL\s*\?=\s*(\d+)", makefile, re.MULTILINE).group(1))
    assert "LEARNING_PHASES_POOL=$(POOL)" in _makefile_command()[0]
    docker = re.search(r"LEARNING_PHASES_POOL=(\d+)", (ROOT / "Dockerfile").read_text())
    assert size >= 12
    assert int(docker.group(1)) == size
    assert size == MAKE_RUN_POOL  # the arrival-wave benchmark measures what make run serves
