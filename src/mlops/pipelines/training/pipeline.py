"""The ``training`` pipeline: one branch per model, each writing a model file and metrics."""

from kedro.pipeline import Node, Pipeline

from mlops.pipelines.training.nodes import (
    plot_confusion_matrix,
    split_table,
    train_efficientnet,
    train_xgboost,
    train_yolo,
)


def create_pipeline(**kwargs) -> Pipeline:
    """Create the ``training`` pipeline."""
    xgboost = Pipeline(
        [
            Node(
                func=split_table,
                inputs=["tabular_raw", "params:xgboost"],
                outputs=["xgboost_train", "xgboost_test"],
                name="split_table",
            ),
            Node(
                func=train_xgboost,
                inputs=["xgboost_train", "xgboost_test", "params:xgboost"],
                outputs=["xgboost_model", "xgboost_metrics"],
                name="train_xgboost",
            ),
        ],
        tags="xgboost",
    )
    yolo = Pipeline(
        [
            Node(
                func=train_yolo,
                inputs=["detection_dataset", "params:yolo"],
                outputs=[
                    "yolo_model",
                    "yolo_metrics",
                    "yolo_results",
                    "yolo_confusion_matrix",
                    "yolo_pr_curve",
                ],
                name="train_yolo",
            ),
        ],
        tags="yolo",
    )
    efficientnet = Pipeline(
        [
            Node(
                func=train_efficientnet,
                inputs=["classification_images", "params:efficientnet"],
                outputs=["efficientnet_model", "efficientnet_metrics", "efficientnet_predictions"],
                name="train_efficientnet",
            ),
            Node(
                func=plot_confusion_matrix,
                inputs="efficientnet_predictions",
                outputs="efficientnet_confusion_matrix",
                name="plot_efficientnet_confusion_matrix",
            ),
        ],
        tags="efficientnet",
    )
    return xgboost + yolo + efficientnet
