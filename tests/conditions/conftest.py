"""The conditions of use in a folder of the test's own, where a test can publish a version."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from idp.conditions.documents import load_conditions
from tests.conftest import ROOT


@pytest.fixture
def conditions_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "conditions"
    shutil.copytree(ROOT / "config" / "conditions", directory)
    return directory


@pytest.fixture
def app_config(app_config: dict[str, Any], conditions_dir: Path) -> dict[str, Any]:
    return {**app_config, "conditions_dir": conditions_dir}


class Publisher:
    """Publishes a new version the way an operator does: a pair of files, then a restart
    (here, the app's conditions read again)."""

    def __init__(self, app: Flask, directory: Path) -> None:
        self.app = app
        self.directory = directory

    def publish(self, portal: str, day: str) -> None:
        for language, text in (("fr", "Nouvelle version"), ("en", "New version")):
            path = self.directory / portal / f"{day}.{language}.md"
            path.write_text(f"## {text}\n\nTexte du {day}.\n", encoding="utf-8")
        runtime = self.app.extensions["idp.runtime"]
        self.app.extensions["idp.runtime"] = replace(
            runtime, conditions=load_conditions(self.directory)
        )


@pytest.fixture
def publisher(app: Flask, conditions_dir: Path) -> Publisher:
    return Publisher(app, conditions_dir)
