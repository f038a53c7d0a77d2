"""Kedro pipelines that train YOLO, EfficientNet and XGBoost models and register them in MLflow."""

__version__ = "0.1.0"
