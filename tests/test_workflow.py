"""The CI workflow: pip cache, tests, the ci run, uploads, and no ignored failures."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "ml_training.yml"


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


@pytest.fixture(scope="module")
def steps(workflow):
    [job] = workflow["jobs"].values()
    return job["steps"]


def _step_running(steps, command):
    matches = [step for step in steps if command in step.get("run", "")]
    assert len(matches) == 1, f"expected one step that runs {command!r}, found {len(matches)}"
    return matches[0]


def _uploaded_paths(steps):
    uploads = [step for step in steps if step.get("uses", "").startswith("actions/upload-artifact")]
    return [line.strip() for step in uploads for line in step["with"]["path"].splitlines()]


def test_workflow_triggers_on_push_and_pull_request(workflow):
    # YAML 1.1, which PyYAML follows, reads the key `on` as the boolean True.
    triggers = workflow.get("on", workflow.get(True))

    assert "push" in triggers
    assert "pull_request" in triggers


def test_workflow_caches_pip(steps):
    [setup] = [step for step in steps if step.get("uses", "").startswith("actions/setup-python")]

    assert setup["with"]["cache"] == "pip"
    assert setup["with"]["cache-dependency-path"] == "pyproject.toml"


def test_workflow_runs_tests(steps):
    assert _step_running(steps, "bash .ci/run")


def test_workflow_runs_ci_pipeline(steps):
    assert _step_running(steps, "kedro run --env ci")


def test_workflow_runs_tests_before_pipeline(steps):
    tests = steps.index(_step_running(steps, "bash .ci/run"))
    pipeline = steps.index(_step_running(steps, "kedro run --env ci"))

    assert tests < pipeline


def test_workflow_uploads_mlflow_store(steps):
    paths = _uploaded_paths(steps)

    assert "mlflow.db" in paths
    assert "mlartifacts/" in paths


def test_workflow_uploads_reports(steps):
    assert "data/08_reporting/" in _uploaded_paths(steps)


def test_workflow_uploads_after_failure(steps):
    uploads = [step for step in steps if step.get("uses", "").startswith("actions/upload-artifact")]

    assert uploads
    for step in uploads:
        assert step.get("if") == "always()", step["name"]


def test_workflow_pipeline_failure_fails_job(workflow, steps):
    [job] = workflow["jobs"].values()
    pipeline = _step_running(steps, "kedro run --env ci")

    assert "continue-on-error" not in job
    assert all("continue-on-error" not in step for step in steps)
    assert "|| true" not in pipeline["run"]
    assert "|| true" not in WORKFLOW.read_text()
