"""Training nodes, one module per model; this module gathers them for the pipeline."""

from mlops.pipelines.training.efficientnet import train_efficientnet
from mlops.pipelines.training.plots import (
    plot_confusion_matrix,
    plot_feature_importance,
    plot_test_evaluation,
    plot_training_curves,
)
from mlops.pipelines.training.validation import (
    validate_classification_images,
    validate_detection_dataset,
    validate_table,
)
from mlops.pipelines.training.xgboost import (
    predict_test_rows,
    rank_feature_gains,
    split_table,
    train_xgboost,
)
from mlops.pipelines.training.yolo import train_yolo

__all__ = [
    "plot_confusion_matrix",
    "plot_feature_importance",
    "plot_test_evaluation",
    "plot_training_curves",
    "predict_test_rows",
    "rank_feature_gains",
    "split_table",
    "train_efficientnet",
    "train_xgboost",
    "train_yolo",
    "validate_classification_images",
    "validate_detection_dataset",
    "validate_table",
]
