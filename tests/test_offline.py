"""Offline defaults and telemetry settings that ship with the project."""

from __future__ import annotations

import yaml
from helpers import REPO_ROOT

from mlops.offline import OFFLINE_ENVIRONMENT, configure_offline_environment


def test_configure_offline_environment_sets_defaults(monkeypatch):
    for name in OFFLINE_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("YOLO_OFFLINE", "0")

    configure_offline_environment()

    import os

    assert os.environ["MLFLOW_DISABLE_TELEMETRY"] == "true"
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["YOLO_OFFLINE"] == "0"


def test_configure_offline_environment_drops_mlflow_telemetry_client(monkeypatch):
    from mlflow.telemetry import get_telemetry_client

    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    configure_offline_environment()

    assert get_telemetry_client() is None


def test_kedro_telemetry_consent_is_declined_in_repo():
    consent = yaml.safe_load((REPO_ROOT / ".telemetry").read_text())

    assert consent == {"consent": False}
