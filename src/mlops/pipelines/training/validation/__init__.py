"""Checks of the training data and parameters, run by one ``validate_*`` node per model.

Each node raises before any model trains: ``TrainingConfigError`` for parameters and
``DataValidationError`` for data, each listing every problem found, one per line.
"""

from mlops.pipelines.training.validation.detection import validate_detection_dataset
from mlops.pipelines.training.validation.errors import DataValidationError, TrainingConfigError
from mlops.pipelines.training.validation.image_folder import validate_classification_images
from mlops.pipelines.training.validation.table import validate_table

__all__ = [
    "DataValidationError",
    "TrainingConfigError",
    "validate_classification_images",
    "validate_detection_dataset",
    "validate_table",
]
