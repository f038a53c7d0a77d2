"""The ``data_preparation`` pipeline: default tables and images, written once."""

from kedro.pipeline import Node, Pipeline

from mlops.pipelines.data_preparation.nodes import create_breast_cancer_table


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
        ]
    )
