"""Pipelines with a node that fails on purpose, for session tests run in this process.

``configure_faulty_pipelines`` makes Kedro's project load these in place of the
project's registry, so the real hooks, catalog and MLflow store see the failure.
"""

from __future__ import annotations

import mlflow
from kedro.framework.project import pipelines
from kedro.pipeline import Node, Pipeline

from mlops.pipelines.registry.nodes import register_efficientnet, register_xgboost
from mlops.registry import log_xgboost_model, register_model_file


def register_xgboost_as_invalid_name(model_file, xgboost_done, efficientnet_done):
    """Register the XGBoost file under a name MLflow rejects, after the other two."""
    return register_model_file(
        model_file,
        model_key="xgboost_copy",
        registered_model_name="invalid/name",
        log_model=log_xgboost_model,
    )


def delete_session_run_and_fail(model_file):
    """End and delete the session run, then fail, so every repair of the run fails too."""
    run_id = mlflow.active_run().info.run_id
    mlflow.end_run()
    mlflow.delete_run(run_id)
    raise ValueError("node failed after deleting the session run")


def register_pipelines() -> dict[str, Pipeline]:
    """Return the faulty pipelines by name."""
    third_registration_fails = Pipeline(
        [
            Node(
                register_xgboost,
                ["xgboost_model", "xgboost_metrics", "params:registry.xgboost"],
                "xgboost_registration",
                name="register_xgboost",
            ),
            Node(
                register_efficientnet,
                ["efficientnet_model", "efficientnet_metrics", "params:registry.efficientnet"],
                "efficientnet_registration",
                name="register_efficientnet",
            ),
            Node(
                register_xgboost_as_invalid_name,
                ["xgboost_model", "xgboost_registration", "efficientnet_registration"],
                "xgboost_copy_registration",
                name="register_xgboost_copy",
            ),
        ]
    )
    run_deleted = Pipeline(
        [Node(delete_session_run_and_fail, "xgboost_model", None, name="delete_run")]
    )
    return {
        "__default__": third_registration_fails,
        "third_registration_fails": third_registration_fails,
        "run_deleted": run_deleted,
    }


def configure_faulty_pipelines() -> None:
    """Make the bootstrapped Kedro project use the pipelines of this module."""
    pipelines.configure(__name__)
