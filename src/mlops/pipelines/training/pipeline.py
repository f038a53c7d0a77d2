"""The ``training`` pipeline: one branch per model, each writing a model file and metrics."""

from kedro.pipeline import Node, Pipeline

from mlops.pipelines.training.xgboost import split_table, train_xgboost


def create_pipeline(**kwargs) -> Pipeline:
    """Create the ``training`` pipeline."""
    return Pipeline(
        [
            Node(
                func=split_table,
                inputs=["tabular_raw", "params:xgboost"],
                outputs=["xgboost_train", "xgboost_test"],
                name="split_table",
                tags=["xgboost"],
            ),
            Node(
                func=train_xgboost,
                inputs=["xgboost_train", "xgboost_test", "params:xgboost"],
                outputs=["xgboost_model", "xgboost_metrics"],
                name="train_xgboost",
                tags=["xgboost"],
            ),
        ]
    )
