"""One MLflow run across several ``kedro run`` processes, handed over by MLFLOW_RUN_ID."""

from __future__ import annotations

import subprocess
import sys

from helpers import run_kedro, subprocess_env


def _create_run(project) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "kedro", "create-run", "--env", "ci", "--name", "nightly"],
        check=False,
        cwd=project,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def test_run_handover_train_then_register_one_run(project, tracking):
    run_id = _create_run(project)
    handover = {"MLFLOW_RUN_ID": run_id}

    steps = (("--to-nodes", "split_table"), ("--nodes", "train_xgboost"),
             ("--nodes", "register_xgboost"))  # fmt: skip
    for step in steps:
        result = run_kedro(project, "--env", "ci", *step, extra_env=handover)
        assert result.returncode == 0, (step, result.stderr[-5000:])

    runs = tracking.search_runs([tracking.get_experiment_by_name("mlops").experiment_id])
    assert [run.info.run_id for run in runs] == [run_id]
    run = runs[0]
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "nightly"
    assert "xgboost.roc_auc" in run.data.metrics
    assert run.data.params["xgboost.model.max_depth"] == "3"
    (version,) = tracking.search_model_versions("name='xgboost'")
    assert version.run_id == run_id
    assert "champion" in tracking.get_model_version("xgboost", version.version).aliases


def test_run_handover_unknown_run_id_fails(project):
    result = run_kedro(
        project, "--env", "ci", "--nodes", "create_breast_cancer_table",
        extra_env={"MLFLOW_RUN_ID": "0123456789abcdef0123456789abcdef"},
    )  # fmt: skip

    assert result.returncode != 0
    assert "0123456789abcdef0123456789abcdef" in result.stderr
