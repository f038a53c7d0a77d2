"""Nodes that register model files in the MLflow Model Registry, one node per model.

Each node takes the model file (or a ``MissingFile`` when the optional catalog entry has
no file yet), the metrics the model came with, and the model's registry parameters,
whose ``promotion`` section is the gate that decides whether the version becomes
``champion``.
"""

from __future__ import annotations

from typing import Any

from mlops.registry import (
    PromotionGate,
    RegistrationResult,
    log_efficientnet_model,
    log_xgboost_model,
    log_yolo_model,
    register_model_file,
)


def register_xgboost(model_file: Any, metrics: Any, params: dict[str, Any]) -> RegistrationResult:
    """Register the XGBoost model file with the ``xgboost`` flavor."""
    return register_model_file(
        model_file,
        model_key="xgboost",
        registered_model_name=params["registered_model_name"],
        promotion=PromotionGate.from_params("xgboost", params.get("promotion")),
        training_data=params.get("training_data"),
        log_model=log_xgboost_model,
        metrics=metrics,
    )


def register_yolo(model_file: Any, metrics: Any, params: dict[str, Any]) -> RegistrationResult:
    """Register the YOLO weights as a pyfunc detector."""

    def log_model(file, name):
        return log_yolo_model(file, name, imgsz=params["imgsz"], conf=params["conf"])

    return register_model_file(
        model_file,
        model_key="yolo",
        registered_model_name=params["registered_model_name"],
        promotion=PromotionGate.from_params("yolo", params.get("promotion")),
        training_data=params.get("training_data"),
        log_model=log_model,
        metrics=metrics,
    )


def register_efficientnet(
    model_file: Any, metrics: Any, params: dict[str, Any]
) -> RegistrationResult:
    """Register the EfficientNet checkpoint as a pyfunc classifier."""
    return register_model_file(
        model_file,
        model_key="efficientnet",
        registered_model_name=params["registered_model_name"],
        promotion=PromotionGate.from_params("efficientnet", params.get("promotion")),
        training_data=params.get("training_data"),
        log_model=log_efficientnet_model,
        metrics=metrics,
    )
