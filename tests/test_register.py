"""``mlops.registry.register_model_file`` used from plain Python, outside Kedro."""

from __future__ import annotations

import mlflow
import pytest
from helpers import write_xgboost_model

from mlops.datasets import MissingFile, XGBoostModelDataset
from mlops.registry import RegistryError, log_xgboost_model, register_model_file


@pytest.fixture
def xgboost_file(project):
    path = project / "data/06_models/xgboost.json"
    write_xgboost_model(path)
    return XGBoostModelDataset(filepath=str(path)).load()


def test_register_without_active_run_opens_own(tracking, xgboost_file):
    result = register_model_file(
        xgboost_file,
        model_key="xgboost",
        registered_model_name="tabular",
        log_model=log_xgboost_model,
        metrics={"roc_auc": 0.9, "history": [0.1, 0.2], "note": "text"},
    )

    assert mlflow.active_run() is None
    run = tracking.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    version = tracking.get_model_version("tabular", str(result.version))
    assert version.run_id == result.run_id
    assert version.tags["xgboost.roc_auc"] == "0.9"
    assert version.tags["source_sha256"] == xgboost_file.sha256
    assert "xgboost.history" not in version.tags
    assert "xgboost.note" not in version.tags


def test_register_inside_active_run_reuses_it(tracking, xgboost_file):
    with mlflow.start_run() as outer:
        result = register_model_file(
            xgboost_file,
            model_key="xgboost",
            registered_model_name="tabular",
            log_model=log_xgboost_model,
        )
        assert mlflow.active_run().info.run_id == outer.info.run_id

    assert result.run_id == outer.info.run_id
    experiment_runs = tracking.search_runs([outer.info.experiment_id])
    assert [run.info.run_id for run in experiment_runs] == [outer.info.run_id]


def test_register_missing_file_skipped(tracking, caplog):
    result = register_model_file(
        MissingFile("data/06_models/absent.json"),
        model_key="xgboost",
        registered_model_name="tabular",
        log_model=log_xgboost_model,
    )

    assert result.status == "skipped"
    assert result.summary == "skipped: data/06_models/absent.json not found"
    warnings = [record for record in caplog.records if record.levelname == "WARNING"]
    assert len(warnings) == 1
    assert "xgboost" in warnings[0].getMessage()
    assert tracking.search_model_versions() == []


def test_register_failure_marks_run_failed(tracking, xgboost_file):
    def broken_flavor(model_file, name):
        raise OSError("disk full")

    with pytest.raises(
        RegistryError, match="Could not register model file .*xgboost.json.*disk full"
    ):
        register_model_file(
            xgboost_file,
            model_key="xgboost",
            registered_model_name="tabular",
            log_model=broken_flavor,
        )

    assert mlflow.active_run() is None
    runs = tracking.search_runs([tracking.get_experiment_by_name("Default").experiment_id])
    assert [run.info.status for run in runs] == ["FAILED"]
    assert tracking.search_model_versions() == []
