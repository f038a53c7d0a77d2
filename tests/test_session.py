"""Kedro sessions run in this process: run status, errors, registration and runners."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
from faulty_pipelines import configure_faulty_pipelines
from helpers import MODEL_PATHS, write_efficientnet_checkpoint, write_xgboost_model
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro.runner import ParallelRunner, ThreadRunner

from mlops.hooks import RunnerNotSupportedError


@pytest.fixture
def session_project(project: Path, tracking) -> Path:
    """Return the project with an absolute store URI.

    MLflow caches one store per URI string, so the relative default would make the
    sessions of later tests in this process write to the first test's database.
    """
    (project / "conf" / "local" / "mlflow.yml").write_text(
        f"server:\n  mlflow_tracking_uri: sqlite:///{project / 'mlflow.db'}\n", encoding="utf-8"
    )
    return project


def _run_session(project, pipeline_name, runner=None, faulty=False, runtime_params=None):
    bootstrap_project(project)
    if faulty:
        configure_faulty_pipelines()
    with KedroSession.create(project_path=project, runtime_params=runtime_params) as session:
        return session.run(pipeline_names=[pipeline_name], runner=runner)


def _runs(tracking):
    experiment = tracking.get_experiment_by_name("mlops")
    return tracking.search_runs([experiment.experiment_id]) if experiment else []


def test_session_error_fails_run_not_next(session_project, tracking):
    (session_project / MODEL_PATHS["xgboost"]).write_bytes(b"")

    with pytest.raises(Exception, match="xgboost.json' is empty"):
        _run_session(session_project, "registry")

    assert mlflow.active_run() is None
    (session_project / MODEL_PATHS["xgboost"]).unlink()
    _run_session(session_project, "registry")
    runs = _runs(tracking)
    assert sorted(run.info.status for run in runs) == ["FAILED", "FINISHED"]
    assert all("mlflow.parentRunId" not in run.data.tags for run in runs)


def test_session_node_error_not_masked_by_hooks(session_project, tracking):
    write_xgboost_model(session_project / MODEL_PATHS["xgboost"])

    with pytest.raises(ValueError, match="node failed after deleting the session run"):
        _run_session(session_project, "run_deleted", faulty=True)

    assert mlflow.active_run() is None


def test_session_failed_registration_tags_earlier_versions(session_project, tracking):
    write_xgboost_model(session_project / MODEL_PATHS["xgboost"])
    write_efficientnet_checkpoint(session_project / MODEL_PATHS["efficientnet"])

    with pytest.raises(Exception, match="invalid/name"):
        _run_session(session_project, "third_registration_fails", faulty=True)

    [run] = _runs(tracking)
    assert run.info.status == "FAILED"
    versions = tracking.search_model_versions(f"run_id = '{run.info.run_id}'")
    assert sorted(version.name for version in versions) == ["efficientnet", "xgboost"]
    for version in versions:
        assert version.tags["mlops.session_status"] == "incomplete"
        assert "invalid/name" in version.tags["mlops.session_error"]
        assert tracking.get_model_version(version.name, version.version).aliases == []
        assert "mlops.pending_aliases" not in version.tags


def test_session_success_tags_versions_complete(session_project, tracking):
    write_xgboost_model(session_project / MODEL_PATHS["xgboost"])

    _run_session(session_project, "registry")

    [version] = tracking.search_model_versions("name = 'xgboost'")
    assert version.tags["mlops.session_status"] == "complete"


def test_session_thread_runner_one_run(session_project, tracking):
    write_xgboost_model(session_project / MODEL_PATHS["xgboost"])
    write_efficientnet_checkpoint(session_project / MODEL_PATHS["efficientnet"])

    _run_session(session_project, "registry", runner=ThreadRunner())

    [run] = _runs(tracking)
    assert run.info.status == "FINISHED"
    versions = tracking.search_model_versions("")
    assert sorted(version.name for version in versions) == ["efficientnet", "xgboost"]
    assert {version.run_id for version in versions} == {run.info.run_id}
    assert "registry.xgboost.registered_model_name" in run.data.params


def test_session_parallel_runner_rejected_up_front(session_project, tracking):
    write_xgboost_model(session_project / MODEL_PATHS["xgboost"])

    with pytest.raises(RunnerNotSupportedError, match="ParallelRunner is not supported"):
        _run_session(session_project, "registry", runner=ParallelRunner())

    assert _runs(tracking) == []
    assert mlflow.active_run() is None


def test_session_long_params_truncated_with_warning(session_project, tracking, caplog):
    class_names = [f"class_with_a_long_name_{index:03d}" for index in range(300)]
    nested = {f"key_{index:03d}": "v" * 40 for index in range(200)}
    runtime_params = {"registry": {"xgboost": {"class_names": class_names, "nested": nested}}}

    _run_session(session_project, "registry", runtime_params=runtime_params)

    [run] = _runs(tracking)
    assert run.info.status == "FINISHED"
    logged = run.data.params["registry.xgboost.class_names"]
    assert len(str(class_names)) > 6000
    assert 0 < len(logged) <= 6000
    assert run.data.params["registry.xgboost.nested.key_000"] == "v" * 40
    assert "registry.xgboost.class_names" in caplog.text
    assert "truncated" in caplog.text
