"""config/gunicorn.conf.py: the production settings, read from IDP_* variables."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[1] / "config" / "gunicorn.conf.py"


@pytest.fixture
def read_settings(monkeypatch, tmp_path):
    # The file prepares the metrics folder and the log format in the environment: keep both
    # away from this process's.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    monkeypatch.setenv("IDP_LOG_FORMAT", "text")

    def read(**env: str) -> dict:
        for name in (
            "IDP_CONTROL_SOCKET",
            "IDP_WORKERS",
            "IDP_BIND",
            "IDP_REDIS_URL",
            "IDP_WORKER_CLASS",
        ):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(CONF))

    return read


def test_the_control_socket_is_off_unless_given_a_path_of_its_own(read_settings, tmp_path):
    default = read_settings()
    assert default["control_socket_disable"] is True
    own = str(tmp_path / "idp.ctl")
    given = read_settings(IDP_CONTROL_SOCKET=own)
    assert given["control_socket"] == own
    assert given["control_socket_disable"] is False


def test_workers_and_address_come_from_the_environment(read_settings):
    settings = read_settings(IDP_WORKERS="3", IDP_BIND="0.0.0.0:9000")
    assert settings["workers"] == 3
    assert settings["bind"] == "0.0.0.0:9000"
    assert settings["preload_app"] is True
    assert settings["worker_class"] == "gthread"


@pytest.mark.parametrize("worker_class", ["sync", "gthread"])
def test_the_worker_model_may_be_chosen(read_settings, worker_class):
    assert read_settings(IDP_WORKER_CLASS=worker_class)["worker_class"] == worker_class


def test_gevent_patches_the_standard_library_before_the_app_is_loaded(tmp_path):
    # In a process of its own: the patch would otherwise reach this test process.
    script = (
        "import runpy; from gevent import monkey; "
        f"settings = runpy.run_path({str(CONF)!r}); "
        "assert settings['worker_class'] == 'gevent'; "
        "assert monkey.is_module_patched('subprocess'); "
        "assert monkey.is_module_patched('threading')"
    )
    env = {
        **os.environ,
        "IDP_WORKER_CLASS": "gevent",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "IDP_LOG_FORMAT": "text",
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_an_unknown_worker_model_stops_the_start(read_settings):
    with pytest.raises(SystemExit, match="IDP_WORKER_CLASS must be one of"):
        read_settings(IDP_WORKER_CLASS="eventlet")


class _Log:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warning(self, message: str, *args: object) -> None:
        self.warnings.append(message % args)


class _Server:
    def __init__(self, workers: int) -> None:
        self.cfg = type("Cfg", (), {"workers": workers})()
        self.log = _Log()


@pytest.mark.parametrize(
    ("workers", "redis", "warned"),
    [(2, None, True), (1, None, False), (2, "redis://127.0.0.1:6379/0", False)],
)
def test_several_workers_without_redis_are_warned_of(read_settings, workers, redis, warned):
    env = {"IDP_REDIS_URL": redis} if redis else {}
    settings = read_settings(**env)
    server = _Server(workers)
    settings["on_starting"](server)
    assert bool(server.log.warnings) is warned
    if warned:
        assert "2 times looser" in server.log.warnings[0]
