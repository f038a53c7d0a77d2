"""Datasets named by the catalog (``conf/*/catalog.yml``); nodes never import them."""

from mlops.datasets.files import MissingFile, ModelFile
from mlops.datasets.images import ImageFolderDataset, YOLODatasetFolder
from mlops.datasets.metrics import MetricsDataset
from mlops.datasets.models import (
    ModelFileError,
    TorchCheckpointDataset,
    XGBoostModelDataset,
    YOLOWeightsDataset,
)
from mlops.datasets.optional import KeepExistingDataset, OptionalDataset

__all__ = [
    "ImageFolderDataset",
    "KeepExistingDataset",
    "MetricsDataset",
    "MissingFile",
    "ModelFile",
    "ModelFileError",
    "OptionalDataset",
    "TorchCheckpointDataset",
    "XGBoostModelDataset",
    "YOLODatasetFolder",
    "YOLOWeightsDataset",
]
