"""The ``registry`` pipeline: register each model file that exists, skip the others."""

from kedro.pipeline import Node, Pipeline

from mlops.pipelines.registry.nodes import register_efficientnet, register_xgboost, register_yolo


def create_pipeline(**kwargs) -> Pipeline:
    """Create the ``registry`` pipeline."""
    return Pipeline(
        [
            Node(
                func=register_xgboost,
                inputs=["xgboost_model", "xgboost_metrics", "params:registry.xgboost"],
                outputs="xgboost_registration",
                name="register_xgboost",
                tags=["xgboost"],
            ),
            Node(
                func=register_yolo,
                inputs=["yolo_model", "yolo_metrics", "params:registry.yolo"],
                outputs="yolo_registration",
                name="register_yolo",
                tags=["yolo"],
            ),
            Node(
                func=register_efficientnet,
                inputs=[
                    "efficientnet_model",
                    "efficientnet_metrics",
                    "params:registry.efficientnet",
                ],
                outputs="efficientnet_registration",
                name="register_efficientnet",
                tags=["efficientnet"],
            ),
        ]
    )
