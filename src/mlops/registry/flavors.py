"""Log a model file to the active MLflow run with the flavor that fits its kind.

Each function returns the ``ModelInfo`` of the logged model, ready to be registered.
XGBoost uses MLflow's ``xgboost`` flavor; YOLO and EfficientNet use pyfunc models logged
as code (``registry/pyfunc``), which load with nothing but the logged files.
"""

from __future__ import annotations

import io
from importlib import metadata
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.models.model import ModelInfo
from mlflow.types import ColSpec, Schema

from mlops.datasets.files import ModelFile

PYFUNC_DIR = Path(__file__).parent / "pyfunc"
IMAGE_INPUT_CODE = PYFUNC_DIR / "image_input.py"


def pinned_requirements(*packages: str) -> list[str]:
    """Return ``package==version`` for each installed package.

    Explicit requirements spare MLflow from inferring them, which imports the model in a
    subprocess and takes seconds per model.
    """
    return [f"{package}=={metadata.version(package)}" for package in packages]


def log_xgboost_model(model_file: ModelFile, name: str) -> ModelInfo:
    """Log an XGBoost estimator with the ``xgboost`` flavor, its signature from the features."""
    booster = model_file.model.get_booster()
    features = booster.feature_names or [f"f{index}" for index in range(booster.num_features())]
    feature_types = booster.feature_types or ["float"] * len(features)
    # NOTE: MLflow's xgboost pyfunc passes "string" columns on as object dtype, which
    # XGBoost rejects. Load a categorical model with mlflow.xgboost and cast those
    # columns to pandas category before predicting.
    signature = ModelSignature(
        inputs=Schema(
            [
                ColSpec("string" if kind == "c" else "double", feature)
                for feature, kind in zip(features, feature_types, strict=True)
            ]
        ),
        outputs=Schema([ColSpec("double")]),
    )
    return mlflow.xgboost.log_model(
        model_file.model,
        name=name,
        signature=signature,
        model_format="json",
        pip_requirements=pinned_requirements(
            "mlflow", "xgboost", "scikit-learn", "pandas", "numpy"
        ),
    )


def _blank_png(size: int, mode: str = "L") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, (size, size)).save(buffer, format="PNG")
    return buffer.getvalue()


def log_yolo_model(
    model_file: ModelFile, name: str, imgsz: int = 640, conf: float = 0.25
) -> ModelInfo:
    """Log YOLO weights as a pyfunc detector; the signature comes from a sample prediction."""
    example = pd.DataFrame({"image": [_blank_png(imgsz)]})
    return mlflow.pyfunc.log_model(
        name=name,
        python_model=str(PYFUNC_DIR / "yolo_model.py"),
        artifacts={"weights": model_file.path},
        code_paths=[str(IMAGE_INPUT_CODE)],
        # MLflow logs model_config as run parameters: nesting it under the model's key
        # namespaces them (yolo/imgsz), apart from the training's yolo.imgsz.
        model_config={"yolo": {"imgsz": imgsz, "conf": conf}},
        input_example=example,
        pip_requirements=pinned_requirements(
            "mlflow", "ultralytics", "torch", "torchvision", "pillow", "pandas", "numpy"
        ),
    )


def log_efficientnet_model(model_file: ModelFile, name: str) -> ModelInfo:
    """Log a timm checkpoint as a pyfunc classifier, signature from a sample prediction."""
    checkpoint = model_file.model
    mode = "L" if int(checkpoint["in_chans"]) == 1 else "RGB"
    example = pd.DataFrame({"image": [_blank_png(int(checkpoint["input_size"]), mode)]})
    return mlflow.pyfunc.log_model(
        name=name,
        python_model=str(PYFUNC_DIR / "efficientnet_model.py"),
        artifacts={"checkpoint": model_file.path},
        code_paths=[str(IMAGE_INPUT_CODE)],
        input_example=example,
        pip_requirements=pinned_requirements(
            "mlflow", "timm", "torch", "torchvision", "pillow", "pandas", "numpy"
        ),
    )
