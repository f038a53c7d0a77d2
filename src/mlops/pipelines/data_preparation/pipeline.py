"""The ``data_preparation`` pipeline: default table and images, written once and reused."""

from kedro.pipeline import Node, Pipeline

from mlops.pipelines.data_preparation.nodes import (
    create_breast_cancer_table,
    create_digit_classification_set,
    create_digit_detection_set,
)


def create_pipeline(**kwargs) -> Pipeline:
    """Create the ``data_preparation`` pipeline."""
    return Pipeline(
        [
            Node(
                func=create_breast_cancer_table,
                inputs=None,
                outputs="tabular_raw",
                name="create_breast_cancer_table",
                tags=["xgboost"],
            ),
            Node(
                func=create_digit_classification_set,
                inputs="params:data_preparation.digit_classification",
                outputs="classification_images",
                name="create_digit_classification_set",
                tags=["efficientnet"],
            ),
            Node(
                func=create_digit_detection_set,
                inputs="params:data_preparation.digit_detection",
                outputs="detection_dataset",
                name="create_digit_detection_set",
                tags=["yolo"],
            ),
        ]
    )
