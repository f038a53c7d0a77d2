"""The ``inference`` pipeline: predict with each registered model that has a version.

The models come from the MLflow Model Registry through the ``*_registered_model``
catalog entries, which choose each model's alias or version. The pipeline neither
trains nor registers, so ``__default__`` leaves it out: run it with
``kedro run --pipeline inference``.
"""

from kedro.pipeline import Node, Pipeline

from mlops.pipelines.inference.nodes import classify_images, detect_objects, predict_xgboost


def create_pipeline(**kwargs) -> Pipeline:
    """Create the ``inference`` pipeline."""
    return Pipeline(
        [
            Node(
                func=predict_xgboost,
                inputs=[
                    "xgboost_registered_model",
                    "xgboost_inference_table",
                    "params:inference.xgboost",
                ],
                outputs="xgboost_predictions",
                name="predict_xgboost",
                tags=["xgboost"],
            ),
            Node(
                func=detect_objects,
                inputs=["yolo_registered_model", "yolo_inference_images", "params:inference.yolo"],
                outputs="yolo_predictions",
                name="detect_objects",
                tags=["yolo"],
            ),
            Node(
                func=classify_images,
                inputs=[
                    "efficientnet_registered_model",
                    "efficientnet_inference_images",
                    "params:inference.efficientnet",
                ],
                outputs="efficientnet_predictions",
                name="classify_images",
                tags=["efficientnet"],
            ),
        ]
    )
