"""Fixtures: a copy of the project in a temporary folder, with its own SQLite store."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
from helpers import copy_project


@pytest.fixture(scope="session", autouse=True)
def isolated_library_settings(tmp_path_factory: pytest.TempPathFactory):
    """Keep ultralytics' settings file out of the user's home for the whole test session."""
    monkeypatch = pytest.MonkeyPatch()
    config_dir = tmp_path_factory.mktemp("ultralytics_config")
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("YOLO_OFFLINE", "1")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    yield
    monkeypatch.undo()


@pytest.fixture(scope="session")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an empty SQLite tracking store, created once because MLflow's schema
    migrations take seconds; each project gets a copy."""
    path = tmp_path_factory.mktemp("store") / "mlflow.db"
    mlflow.MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_store: Path) -> Path:
    """Return a fresh copy of the project (conf, data folders) with the cwd set to it."""
    root = tmp_path / "project"
    copy_project(root, empty_store)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def tracking(project: Path, monkeypatch: pytest.MonkeyPatch):
    """Point this process's MLflow client at the project's SQLite store.

    MLflow keeps the experiment chosen by ``set_experiment`` in a module global and in
    ``MLFLOW_EXPERIMENT_ID``. Both are reset, so no test reads another test's store.
    """
    monkeypatch.setattr(mlflow.tracking.fluent, "_active_experiment_id", None)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    uri = f"sqlite:///{project / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    yield mlflow.MlflowClient(tracking_uri=uri)
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(None)
