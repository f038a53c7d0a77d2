"""``mlops.tracking``: the guard that keeps the session run, and the run summary."""

from __future__ import annotations

import logging
import os
import threading

import mlflow
import pytest

from mlops.tracking import SessionRunGuard, format_run_summary, record_registration


@pytest.fixture
def session_run(tracking):
    mlflow.set_experiment("session")
    mlflow.autolog(disable=True)
    with mlflow.start_run() as run:
        guard = SessionRunGuard.capture()
        guard.export_environment()
        yield run, guard
        guard.close()


def test_guard_resumes_ended_session_run(session_run, caplog):
    run, guard = session_run
    mlflow.end_run()

    guard.restore("Node 'rogue'")

    assert mlflow.active_run().info.run_id == run.info.run_id
    assert "Node 'rogue' ended the session run" in caplog.text


def test_guard_ends_foreign_run_and_keeps_session_run(session_run, tracking):
    run, guard = session_run
    created = tracking.create_run(run.info.experiment_id)
    foreign = mlflow.start_run(run_id=created.info.run_id, nested=True)

    guard.restore("Node 'rogue'")

    assert mlflow.active_run().info.run_id == run.info.run_id
    assert tracking.get_run(foreign.info.run_id).info.status == "FINISHED"


def test_guard_restores_tracking_uri_and_experiment(session_run, tmp_path):
    _, guard = session_run
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'elsewhere.db'}")
    mlflow.set_experiment("/Shared/Ultralytics")
    mlflow.set_tracking_uri(guard.tracking_uri)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'elsewhere.db'}")

    guard.restore("Node 'rogue'")

    assert mlflow.get_tracking_uri() == guard.tracking_uri
    assert mlflow.tracking.fluent._get_experiment_id() == guard.experiment_id


def test_guard_turns_autologging_off_again(session_run, caplog):
    _, guard = session_run
    mlflow.autolog()

    with caplog.at_level(logging.WARNING):
        guard.restore("Node 'rogue'")

    assert "turned on MLflow autologging" in caplog.text
    assert mlflow.utils.autologging_utils.AUTOLOGGING_INTEGRATIONS["mlflow"]["disable"] is True


def test_guard_thread_start_run_joins_session(session_run):
    run, _ = session_run
    joined = []

    def start_run_in_thread():
        joined.append(mlflow.start_run().info.run_id)

    thread = threading.Thread(target=start_run_in_thread)
    thread.start()
    thread.join()

    assert joined == [run.info.run_id]


def test_guard_environment_points_at_session_and_is_restored(session_run):
    run, guard = session_run
    assert os.environ["MLFLOW_RUN_ID"] == run.info.run_id
    assert os.environ["MLFLOW_KEEP_RUN_ACTIVE"] == "true"

    guard.close()

    assert "MLFLOW_RUN_ID" not in os.environ


def test_guard_quiet_when_nothing_changed(session_run, caplog):
    _, guard = session_run

    with caplog.at_level(logging.WARNING):
        guard.restore("Node 'polite'")

    assert caplog.records == []


def test_format_run_summary_lists_outcomes(session_run):
    run, _ = session_run
    record_registration("yolo", "skipped: data/06_models/yolo.pt not found")
    record_registration("xgboost", "registered xgboost version 2")

    summary = format_run_summary(run.info.run_id, "FINISHED")

    assert summary.splitlines() == [
        f"MLflow run {run.info.run_id} (FINISHED) in experiment {run.info.experiment_id} "
        f"at {mlflow.get_tracking_uri()}",
        "  xgboost: registered xgboost version 2",
        "  yolo: skipped: data/06_models/yolo.pt not found",
    ]
