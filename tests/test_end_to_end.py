"""``kedro run --env ci``: every pipeline in one session, one MLflow run."""

from __future__ import annotations

from helpers import run_kedro


def test_ci_run_registers_xgboost_in_one_run(project, tracking):
    result = run_kedro(project, "--env", "ci")

    assert result.returncode == 0, result.stderr
    experiment = tracking.get_experiment_by_name("mlops")
    runs = tracking.search_runs([experiment.experiment_id])
    assert len(runs) == 1
    run = runs[0]
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "__default__"
    assert run.data.metrics["xgboost.roc_auc"] > 0.9
    assert "xgboost.accuracy" in run.data.metrics
    assert run.data.params["xgboost.model.max_depth"] == "3"
    assert run.data.params["xgboost.target"] == "target"
    versions = tracking.search_model_versions("name='xgboost'")
    assert [version.run_id for version in versions] == [run.info.run_id]
    assert versions[0].tags["xgboost.roc_auc"] == str(run.data.metrics["xgboost.roc_auc"])
    assert (project / "data/01_raw/breast_cancer.csv").is_file()
    assert "registered xgboost version 1" in result.stderr


def test_second_ci_run_reuses_data(project, tracking):
    assert run_kedro(project, "--env", "ci").returncode == 0
    raw = project / "data/01_raw/breast_cancer.csv"
    raw.write_text(raw.read_text())
    modified = raw.stat().st_mtime_ns

    result = run_kedro(project, "--env", "ci")

    assert result.returncode == 0, result.stderr
    assert raw.stat().st_mtime_ns == modified
    assert "Kept the existing data" in result.stderr
    versions = tracking.search_model_versions("name='xgboost'")
    assert sorted(version.version for version in versions) == [1, 2]
