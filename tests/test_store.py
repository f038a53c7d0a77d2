"""The tracking store: checked before the run starts, prepared once for concurrent runs."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import MODEL_PATHS, free_port, run_kedro, subprocess_env, write_xgboost_model

from mlops.store import TrackingStoreError, check_server_reachable, prepare_sqlite_store


def test_check_server_reachable_closed_port_raises():
    uri = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(TrackingStoreError, match=f"Cannot connect to .* at {uri}"):
        check_server_reachable(uri)


def test_check_server_reachable_ignores_sqlite():
    check_server_reachable("sqlite:///mlflow.db")


def test_prepare_sqlite_store_creates_experiment(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"

    prepare_sqlite_store(uri, "mlops", (tmp_path / "mlartifacts").as_uri())
    prepare_sqlite_store(uri, "mlops", (tmp_path / "mlartifacts").as_uri())

    import mlflow

    experiment = mlflow.MlflowClient(tracking_uri=uri).get_experiment_by_name("mlops")
    assert experiment.artifact_location == (tmp_path / "mlartifacts").as_uri()


def test_prepare_sqlite_store_missing_folder_raises(tmp_path):
    uri = f"sqlite:///{tmp_path / 'absent' / 'mlflow.db'}"

    with pytest.raises(TrackingStoreError, match="absent.*does not exist"):
        prepare_sqlite_store(uri, "mlops", None)


def test_kedro_run_closed_port_fails_before_nodes(project):
    uri = f"http://127.0.0.1:{free_port()}"
    (project / "conf" / "ci" / "mlflow.yml").write_text(
        f"server:\n  mlflow_tracking_uri: {uri}\n", encoding="utf-8"
    )

    result = run_kedro(project, "--env", "ci")

    assert result.returncode != 0
    assert f"Cannot connect to the MLflow tracking server at {uri}" in result.stderr
    assert "Running node" not in result.stderr


def test_kedro_run_concurrent_registrations_on_new_store(project, tracking):
    (project / "mlflow.db").unlink()
    write_xgboost_model(project / MODEL_PATHS["xgboost"])
    command = [sys.executable, "-m", "kedro", "run", "--pipeline", "registry"]
    processes = [
        subprocess.Popen(
            command, cwd=project, env=subprocess_env(), stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=600)[1] for process in processes]

    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-3000:]
        assert "database is locked" not in output
    versions = tracking.search_model_versions("name = 'xgboost'")
    assert sorted(int(version.version) for version in versions) == [1, 2]
    assert len({version.run_id for version in versions}) == 2
