"""``kedro run --env ci`` end to end: all pipelines, one session, one MLflow run."""

from __future__ import annotations

import json
import subprocess
import textwrap

import pytest
from helpers import guarded_env, run_kedro, run_python

MODELS = ("xgboost", "yolo", "efficientnet")
TRAINING_DATA = {
    "xgboost": "tabular_raw",
    "yolo": "detection_dataset",
    "efficientnet": "classification_images",
}

PREDICT_ALL = """
import io, json, mlflow, pandas as pd
from pathlib import Path
mlflow.set_tracking_uri("sqlite:///mlflow.db")
image = sorted(Path("data/01_raw/digits_classification/val/3").glob("*.png"))[0].read_bytes()
canvas = sorted(Path("data/01_raw/digits_detection_ci/images/val").glob("*.png"))[0].read_bytes()
table = pd.read_parquet("data/05_model_input/xgboost_test.parquet").drop(columns="target").head(2)
samples = {"xgboost": table, "yolo": pd.DataFrame({"image": [canvas]}),
           "efficientnet": pd.DataFrame({"image": [image]})}
outputs = {}
for name, sample in samples.items():
    output = mlflow.pyfunc.load_model(f"models:/{name}@champion").predict(sample)
    outputs[name] = {"rows": len(output), "columns": list(getattr(output, "columns", []))}
print(json.dumps(outputs))
"""


NAMESPACES = ("data_preparation", "xgboost", "yolo", "efficientnet", "registry")


def assert_namespaced(params):
    """Check that each parameter name starts with a namespace and a separator."""
    for name in params:
        assert name.split(".")[0].split("/")[0] in NAMESPACES, name
        assert "." in name or "/" in name, name


def _single_run(client):
    experiments = sorted(experiment.name for experiment in client.search_experiments())
    assert experiments == ["Default", "mlops"]
    runs = client.search_runs([client.get_experiment_by_name("mlops").experiment_id])
    assert len(runs) == 1, [run.info.run_name for run in runs]
    return runs[0]


@pytest.mark.slow
def test_ci_run_trains_and_registers_all_offline(project, tracking, tmp_path):
    network_log = tmp_path / "network.log"

    result = run_kedro(project, "--env", "ci", extra_env=guarded_env(network_log))

    assert result.returncode == 0, result.stderr[-5000:]
    assert not network_log.exists(), network_log.read_text()
    run = _single_run(tracking)
    assert run.info.status == "FINISHED"
    for model in MODELS:
        versions = tracking.search_model_versions(f"name='{model}'")
        assert [version.run_id for version in versions] == [run.info.run_id], model
        assert f"registered {model} version 1, promoted to champion" in result.stderr
        version = tracking.get_model_version(model, "1")
        assert sorted(version.aliases) == ["challenger", "champion"], model
        assert version.tags["mlops.session_status"] == "complete", model
        data_tags = [tag for tag in version.tags if tag.startswith("dataset.")]
        assert data_tags == [f"dataset.{TRAINING_DATA[model]}"], model
    inputs = {item.dataset.name for item in run.inputs.dataset_inputs}
    assert inputs == {"tabular_raw", "classification_images", "detection_dataset"}
    metrics = run.data.metrics
    for name in ("xgboost.roc_auc", "yolo.map50", "yolo.map50_95", "efficientnet.top1"):
        assert name in metrics, name
    assert len(tracking.get_metric_history(run.info.run_id, "efficientnet.val_loss")) >= 1
    assert len(tracking.get_metric_history(run.info.run_id, "yolo.train_box_loss")) >= 1
    for name in ("yolo.epoch_seconds", "efficientnet.samples_per_second", "xgboost.fit_seconds"):
        assert metrics[name] > 0, name
    assert_namespaced(run.data.params)
    artifacts = {item.path for item in tracking.list_artifacts(run.info.run_id, "yolo")}
    assert {"yolo/results.csv", "yolo/confusion_matrix.png", "yolo/pr_curve.png"} <= artifacts
    artifacts = {item.path for item in tracking.list_artifacts(run.info.run_id, "efficientnet")}
    assert "efficientnet/confusion_matrix.png" in artifacts
    assert "efficientnet/training_curves.png" in artifacts
    artifacts = {item.path for item in tracking.list_artifacts(run.info.run_id, "xgboost")}
    assert "xgboost/feature_importance.png" in artifacts
    evaluation = tracking.list_artifacts(run.info.run_id, "xgboost/test_evaluation")
    assert [item.path for item in evaluation] == ["xgboost/test_evaluation/roc_curve.png"]
    reports = project / "data" / "08_reporting"
    for path in (
        "xgboost/test_evaluation/roc_curve.png",
        "xgboost/feature_importance.png",
        "efficientnet/training_curves.png",
    ):
        assert (reports / path).stat().st_size > 0, path

    predictions = run_python(PREDICT_ALL, project, extra_env=guarded_env(network_log))

    assert predictions.returncode == 0, predictions.stderr[-5000:]
    outputs = json.loads(predictions.stdout.strip().splitlines()[-1])
    assert outputs["xgboost"]["rows"] == 2
    assert outputs["yolo"]["columns"][:3] == ["image_id", "class_id", "class_name"]
    assert outputs["efficientnet"]["rows"] == 1
    assert "prob_3" in outputs["efficientnet"]["columns"]
    assert not network_log.exists(), network_log.read_text()


@pytest.mark.slow
def test_ci_run_contains_ultralytics_mlflow_callback(project, tracking, tmp_path):
    settings_dir = tmp_path / "ultralytics_settings"
    (settings_dir / "Ultralytics").mkdir(parents=True)
    (settings_dir / "Ultralytics" / "settings.json").write_text(json.dumps({"mlflow": True}))

    result = run_kedro(project, "--env", "ci", extra_env={"YOLO_CONFIG_DIR": str(settings_dir)})

    assert result.returncode == 0, result.stderr[-5000:]
    settings = json.loads((settings_dir / "Ultralytics" / "settings.json").read_text())
    assert settings["mlflow"] is True
    run = _single_run(tracking)
    assert run.info.status == "FINISHED"
    assert_namespaced(run.data.params)
    for model in MODELS:
        versions = tracking.search_model_versions(f"name='{model}'")
        assert [version.run_id for version in versions] == [run.info.run_id], model
    assert not (project / "mlruns").exists()
    assert not (project / "runs").exists()
    assert "Changing param values is not allowed" not in result.stderr
    assert "WARNING mlops.tracking" not in result.stderr


def test_network_guard_blocks_outside_hosts(project, tmp_path):
    network_log = tmp_path / "network.log"
    code = textwrap.dedent(
        """
        import urllib.request
        try:
            urllib.request.urlopen("http://example.com", timeout=2)
        except OSError as error:
            print("blocked", error)
        """
    )

    result = run_python(code, project, extra_env=guarded_env(network_log))

    assert "blocked" in result.stdout
    assert "getaddrinfo 'example.com'" in network_log.read_text()


def _git_commit_all(project):
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "conf", "pyproject.toml"],
        ["git", "-c", "user.name=test", "-c", "user.email=test@localhost", "commit", "-qm", "c"],
    ):
        subprocess.run(command, cwd=project, check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=True
    )
    return head.stdout.strip()


def _xgboost_version(tracking, number):
    return tracking.get_model_version("xgboost", str(number))


def test_ci_runs_promote_through_gate_only(project, tracking):
    commit = _git_commit_all(project)
    assert run_kedro(project, "--env", "ci", "--tags", "xgboost").returncode == 0
    raw = project / "data/01_raw/breast_cancer.csv"
    modified = raw.stat().st_mtime_ns

    first = _xgboost_version(tracking, 1)
    assert sorted(first.aliases) == ["challenger", "champion"]
    assert first.tags["promotion"] == "promoted"
    assert "first version" in first.tags["promotion.reason"]

    # The same data and seed give the same ROC AUC: a tie passes only without a margin.
    tie_passes = run_kedro(
        project, "--env", "ci", "--tags", "xgboost",
        "--params", "registry.xgboost.promotion.min_improvement=0",
    )  # fmt: skip
    assert tie_passes.returncode == 0, tie_passes.stderr[-3000:]
    assert raw.stat().st_mtime_ns == modified
    assert "Using the existing data" in tie_passes.stderr
    second = _xgboost_version(tracking, 2)
    assert sorted(second.aliases) == ["challenger", "champion"]
    assert second.tags["promotion.champion_version"] == "1"

    tie_fails = run_kedro(project, "--env", "ci", "--tags", "xgboost")
    assert tie_fails.returncode == 0, tie_fails.stderr[-3000:]
    third = _xgboost_version(tracking, 3)
    assert third.aliases == ["challenger"]
    assert third.tags["promotion"] == "kept"
    assert "improvement 0, min 0.001" in third.tags["promotion.reason"]
    assert third.tags["promotion.champion_value"] == third.tags["promotion.challenger_value"]
    assert _xgboost_version(tracking, 2).aliases == ["champion"]
    assert "xgboost: registered xgboost version 3, not promoted" in tie_fails.stderr

    assert third.tags["git_commit"] == commit
    assert third.tags["git_dirty"] == "false"
    assert third.tags["kedro_env"] == "ci"
    assert third.tags["kedro_command"].startswith("kedro run")
    assert third.tags["mlops_version"]
    run = tracking.get_run(third.run_id)
    [data_input] = run.inputs.dataset_inputs
    assert data_input.dataset.name == "tabular_raw"
    assert third.tags["dataset.tabular_raw"] == data_input.dataset.digest
