"""The ``registry`` pipeline in real ``kedro run`` processes against a SQLite store."""

from __future__ import annotations

import textwrap

import pytest
from helpers import MODEL_PATHS, MODEL_WRITERS, run_kedro, run_python

SKIP_WARNING = "WARNING mlops.registry.register: Model file"


def _only_run(client):
    experiment = client.get_experiment_by_name("mlops")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1, [run.info.run_id for run in runs]
    return runs[0]


def test_registry_pipeline_without_model_files_skips_all(project, tracking):
    result = run_kedro(project, "--pipeline", "registry")

    assert result.returncode == 0, result.stderr
    assert result.stderr.count(SKIP_WARNING) == 3
    for path in MODEL_PATHS.values():
        assert f"skipped: {project / path} not found" in result.stderr
    assert _only_run(tracking).info.status == "FINISHED"
    assert tracking.search_model_versions() == []


@pytest.mark.parametrize("model_key", ["xgboost", "yolo", "efficientnet"])
def test_registry_pipeline_registers_present_file(project, tracking, model_key):
    MODEL_WRITERS[model_key](project / MODEL_PATHS[model_key])

    result = run_kedro(project, "--pipeline", "registry")

    assert result.returncode == 0, result.stderr
    assert result.stderr.count(SKIP_WARNING) == 2
    run = _only_run(tracking)
    assert run.info.status == "FINISHED"
    versions = tracking.search_model_versions()
    assert [(version.name, version.version) for version in versions] == [(model_key, 1)]
    assert versions[0].run_id == run.info.run_id
    assert versions[0].tags["run_id"] == run.info.run_id
    assert len(versions[0].tags["source_sha256"]) == 64
    assert f"registered {model_key} version 1" in result.stderr


def test_registered_models_predict_in_fresh_process(project, tracking):
    for model_key, writer in MODEL_WRITERS.items():
        writer(project / MODEL_PATHS[model_key])
    assert run_kedro(project, "--pipeline", "registry").returncode == 0

    script = textwrap.dedent(
        f"""
        import io, mlflow, pandas as pd
        from PIL import Image
        mlflow.set_tracking_uri("sqlite:///{project / "mlflow.db"}")
        png = io.BytesIO(); Image.new("L", (48, 48), 255).save(png, format="PNG")
        images = pd.DataFrame({{"image": [png.getvalue()]}})
        table = pd.DataFrame({{"a": [0.5], "b": [0.0], "c": [1.0]}})
        for name, sample in [("xgboost", table), ("yolo", images), ("efficientnet", images)]:
            output = mlflow.pyfunc.load_model(f"models:/{{name}}/1").predict(sample)
            print(name, type(output).__name__, len(output), list(getattr(output, "columns", [])))
        """
    )
    result = run_python(script, project)

    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert lines["xgboost"].startswith("ndarray 1")
    assert (
        "['image_id', 'class_id', 'class_name', 'score', 'x1', 'y1', 'x2', 'y2']" in lines["yolo"]
    )
    assert lines["efficientnet"].startswith("DataFrame 1 ['class_id', 'class_name', 'score'")


@pytest.mark.parametrize("corruption", [b"", b"\x8f\x01not a model\xff" * 20])
@pytest.mark.parametrize("model_key", ["xgboost", "yolo", "efficientnet"])
def test_registry_pipeline_fails_on_corrupt_file(project, tracking, model_key, corruption):
    path = project / MODEL_PATHS[model_key]
    path.write_bytes(corruption)

    result = run_kedro(project, "--pipeline", "registry")

    assert result.returncode != 0
    assert str(path) in result.stderr
    assert _only_run(tracking).info.status == "FAILED"
    assert tracking.search_model_versions() == []
