"""MLflow Model Registry access: registration of model files and their flavors."""

from mlops.registry.flavors import log_efficientnet_model, log_xgboost_model, log_yolo_model
from mlops.registry.register import (
    RegistrationResult,
    RegistryError,
    register_model_file,
)

__all__ = [
    "RegistrationResult",
    "RegistryError",
    "log_efficientnet_model",
    "log_xgboost_model",
    "log_yolo_model",
    "register_model_file",
]
