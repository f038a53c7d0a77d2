"""The ``training`` pipeline: one branch per model, each writing a model file and metrics.

Each branch starts with a ``validate_*`` node whose output the next node consumes. Kedro's
SequentialRunner runs nodes in the order of ``Pipeline.nodes``, which lists them by
topological generation (``Pipeline.grouped_nodes`` in Kedro 1.x). The validate nodes read
only raw data and parameters, so they share the first generation after data preparation,
and all of them run before any branch splits or trains.
"""

from kedro.pipeline import Node, Pipeline

from mlops.pipelines.training.nodes import (
    plot_confusion_matrix,
    plot_feature_importance,
    plot_test_evaluation,
    plot_training_curves,
    predict_test_rows,
    rank_feature_gains,
    split_table,
    train_efficientnet,
    train_xgboost,
    train_yolo,
    validate_classification_images,
    validate_detection_dataset,
    validate_table,
)


def create_pipeline(**kwargs) -> Pipeline:
    """Create the ``training`` pipeline."""
    xgboost = Pipeline(
        [
            Node(
                func=validate_table,
                inputs=["tabular_raw", "params:xgboost"],
                outputs="validated_table",
                name="validate_table",
            ),
            Node(
                func=split_table,
                inputs=["validated_table", "params:xgboost"],
                outputs=["xgboost_train", "xgboost_test"],
                name="split_table",
            ),
            Node(
                func=train_xgboost,
                inputs=["xgboost_train", "xgboost_test", "params:xgboost"],
                outputs=["xgboost_model", "xgboost_metrics"],
                name="train_xgboost",
            ),
            Node(
                func=predict_test_rows,
                inputs=["xgboost_model", "xgboost_test", "params:xgboost"],
                outputs="xgboost_test_predictions",
                name="predict_xgboost_test_rows",
            ),
            Node(
                func=plot_test_evaluation,
                inputs="xgboost_test_predictions",
                outputs="xgboost_test_evaluation",
                name="plot_xgboost_test_evaluation",
            ),
            Node(
                func=rank_feature_gains,
                inputs="xgboost_model",
                outputs="xgboost_feature_gains",
                name="rank_xgboost_feature_gains",
            ),
            Node(
                func=plot_feature_importance,
                inputs="xgboost_feature_gains",
                outputs="xgboost_feature_importance",
                name="plot_xgboost_feature_importance",
            ),
        ],
        tags="xgboost",
    )
    yolo = Pipeline(
        [
            Node(
                func=validate_detection_dataset,
                inputs=["detection_dataset", "params:yolo"],
                outputs="validated_detection_dataset",
                name="validate_detection_dataset",
            ),
            Node(
                func=train_yolo,
                inputs=["validated_detection_dataset", "params:yolo"],
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
                func=validate_classification_images,
                inputs=["classification_images", "params:efficientnet"],
                outputs="validated_classification_images",
                name="validate_classification_images",
            ),
            Node(
                func=train_efficientnet,
                inputs=["validated_classification_images", "params:efficientnet"],
                outputs=[
                    "efficientnet_model",
                    "efficientnet_metrics",
                    "efficientnet_validation_predictions",
                ],
                name="train_efficientnet",
            ),
            Node(
                func=plot_confusion_matrix,
                inputs="efficientnet_validation_predictions",
                outputs="efficientnet_confusion_matrix",
                name="plot_efficientnet_confusion_matrix",
            ),
            Node(
                func=plot_training_curves,
                inputs="efficientnet_metrics",
                outputs="efficientnet_training_curves",
                name="plot_efficientnet_training_curves",
            ),
        ],
        tags="efficientnet",
    )
    return xgboost + yolo + efficientnet
