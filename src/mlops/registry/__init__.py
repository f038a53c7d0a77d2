"""MLflow Model Registry access: registration of model files, their flavors, promotion."""

from mlops.registry.flavors import log_efficientnet_model, log_xgboost_model, log_yolo_model
from mlops.registry.promotion import (
    PromotionConfigError,
    PromotionDecision,
    PromotionGate,
    decide_promotion,
)
from mlops.registry.register import (
    RegistrationResult,
    RegistryError,
    register_model_file,
)

__all__ = [
    "PromotionConfigError",
    "PromotionDecision",
    "PromotionGate",
    "RegistrationResult",
    "RegistryError",
    "decide_promotion",
    "log_efficientnet_model",
    "log_xgboost_model",
    "log_yolo_model",
    "register_model_file",
]
