"""Datasets named by the catalog (``conf/*/catalog.yml``); nodes never import them."""

from mlops.datasets.files import MissingFile, ModelFile
from mlops.datasets.image_files import ImageFilesDataset
from mlops.datasets.images import ImageFolderDataset, YOLODatasetFolder
from mlops.datasets.inputs import MlflowInputDataset
from mlops.datasets.metrics import MetricsDataset
from mlops.datasets.models import (
    ModelFileError,
    TorchCheckpointDataset,
    XGBoostModelDataset,
    YOLOWeightsDataset,
)
from mlops.datasets.optional import KeepExistingDataset, OptionalDataset
from mlops.datasets.registered import LoadedModel, MissingModel, RegisteredModelDataset
from mlops.datasets.required import RequiredDataset

__all__ = [
    "ImageFilesDataset",
    "ImageFolderDataset",
    "KeepExistingDataset",
    "LoadedModel",
    "MetricsDataset",
    "MlflowInputDataset",
    "MissingFile",
    "MissingModel",
    "ModelFile",
    "ModelFileError",
    "OptionalDataset",
    "RegisteredModelDataset",
    "RequiredDataset",
    "TorchCheckpointDataset",
    "XGBoostModelDataset",
    "YOLODatasetFolder",
    "YOLOWeightsDataset",
]
