"""What a gunicorn worker must not inherit from the master that loaded the app."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from flask import Flask

from idp.extensions import db

# prometheus_client reads it when it is imported: set it before the app is loaded.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_directory() -> str:
    """An empty directory for the workers' counter files (files of a previous run removed)."""
    directory = os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="idp-metrics-")
    path = Path(directory)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(path)
    return str(path)


def forget_inherited_connections(app: Flask) -> None:
    """Drop the master's pooled database connections without closing them (they are the
    master's sockets): the worker opens its own on first use (SQLAlchemy's advice for fork)."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
