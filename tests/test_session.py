"""Kedro sessions run in this process: run status, errors and runners."""

from __future__ import annotations

import mlflow
import pytest
from helpers import MODEL_PATHS
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project


def _run_session(project, pipeline_name):
    bootstrap_project(project)
    with KedroSession.create(project_path=project) as session:
        return session.run(pipeline_names=[pipeline_name])


def test_session_error_fails_run_not_next(project, tracking):
    (project / MODEL_PATHS["xgboost"]).write_bytes(b"")

    with pytest.raises(Exception, match="xgboost.json' is empty"):
        _run_session(project, "registry")

    assert mlflow.active_run() is None
    (project / MODEL_PATHS["xgboost"]).unlink()
    _run_session(project, "registry")
    runs = tracking.search_runs([tracking.get_experiment_by_name("mlops").experiment_id])
    assert sorted(run.info.status for run in runs) == ["FAILED", "FINISHED"]
    assert all("mlflow.parentRunId" not in run.data.tags for run in runs)
