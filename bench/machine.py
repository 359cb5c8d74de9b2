"""What the figures were measured on: processor, cores, memory, versions, date."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class Machine:
    cpu_model: str
    cores: int
    memory_gib: float
    os_name: str
    python: str
    postgresql: str
    redis: str
    node: str
    gunicorn: str
    wrk: str
    date: str

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("Processor", f"{self.cpu_model}, {self.cores} cores"),
            ("Memory", f"{self.memory_gib:.1f} GiB"),
            ("System", self.os_name),
            ("Python", self.python),
            ("gunicorn", self.gunicorn),
            ("PostgreSQL", self.postgresql),
            ("Redis", self.redis),
            ("Node.js", self.node),
            ("wrk", self.wrk),
            ("Date", self.date),
        ]


def describe(postgres_url: str, redis_url: str) -> Machine:
    return Machine(
        cpu_model=_cpu_model(),
        cores=os.cpu_count() or 0,
        memory_gib=_memory_gib(),
        os_name=_os_name(),
        python=platform.python_version(),
        postgresql=_postgres_version(postgres_url),
        redis=_redis_version(redis_url),
        node=_output(["node", "--version"]) or "absent",
        gunicorn=_package_version("gunicorn"),
        wrk=(_output(["wrk", "--version"], stderr=True) or "absent").split(" [")[0],
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def _postgres_version(url: str) -> str:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(
            url.replace("postgresql://", "postgresql+psycopg://", 1), poolclass=sa.NullPool
        )
        with engine.connect() as conn:
            version = str(conn.execute(sa.text("SHOW server_version")).scalar())
        engine.dispose()
        return f"PostgreSQL {version.split()[0]}"
    except Exception as exc:  # noqa: BLE001 (any failure: say it is unreachable)
        return f"unreachable ({type(exc).__name__})"


def _redis_version(url: str) -> str:
    import redis

    try:
        client = redis.Redis.from_url(url)
        version = client.info("server")["redis_version"]
        client.close()
        return f"Redis {version}"
    except Exception as exc:  # noqa: BLE001
        return f"unreachable ({type(exc).__name__})"


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def _output(command: list[str], *, stderr: bool = False) -> str:
    if shutil.which(command[0]) is None:
        return ""
    result = subprocess.run(  # noqa: S603 (fixed commands)
        command, capture_output=True, text=True, check=False, timeout=10
    )
    text = (result.stderr if stderr and not result.stdout.strip() else result.stdout) or ""
    return text.strip().splitlines()[0] if text.strip() else ""
