"""Datasets for model files: XGBoost JSON, torch checkpoints and Ultralytics YOLO weights.

Each ``load`` checks the file and returns a ``ModelFile`` (path, SHA-256, loaded object).
A file that cannot be read raises ``ModelFileError`` naming the file and the fix. Each
``save`` writes to a temporary file and renames it, so an interrupted run never leaves a
partial model where a good one was.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from mlops.datasets.files import ModelFile, atomic_write_path, sha256_of

_CLASSIFIER_OBJECTIVES = ("binary:", "multi:")


class ModelFileError(DatasetError):
    """A model file exists but is not a valid model of the expected kind."""


def _check_not_empty(path: Path, kind: str, fix: str) -> None:
    if path.stat().st_size == 0:
        raise ModelFileError(f"Model file '{path}' is empty (0 bytes), not {kind}. {fix}")


class _ModelFileDataset(AbstractDataset):
    """Local model file with a path, atomic saves and an ``exists`` check."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        """Create the dataset.

        Args:
            filepath: Local path of the model file.
            metadata: Free-form metadata, ignored by Kedro.
        """
        self._filepath = Path(filepath)
        self.metadata = metadata

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": PurePosixPath(self._filepath).as_posix()}


class XGBoostModelDataset(_ModelFileDataset):
    """XGBoost model saved in XGBoost's JSON format.

    Saving takes a scikit-learn style estimator (``XGBClassifier``, ``XGBRegressor``).
    Loading returns a ``ModelFile`` whose ``model`` is the estimator class the file's
    objective calls for: ``binary:*`` and ``multi:*`` load as ``XGBClassifier``, every
    other objective as ``XGBRegressor``.
    """

    _FIX = (
        "Replace it with a model saved by `model.save_model('xgboost.json')`, "
        "or delete it to skip it."
    )

    def load(self) -> ModelFile:
        from xgboost import XGBClassifier, XGBRegressor
        from xgboost.core import XGBoostError

        path = self._filepath
        _check_not_empty(path, "an XGBoost JSON model", self._FIX)
        try:
            objective = json.loads(path.read_bytes())["learner"]["objective"]["name"]
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ModelFileError(
                f"Model file '{path}' is not an XGBoost JSON model "
                f"(no learner.objective.name): {exc!r}. {self._FIX}"
            ) from exc

        estimator = (
            XGBClassifier() if objective.startswith(_CLASSIFIER_OBJECTIVES) else XGBRegressor()
        )
        try:
            estimator.load_model(str(path))
        except XGBoostError as exc:
            raise ModelFileError(
                f"XGBoost cannot load model file '{path}': {exc}. {self._FIX}"
            ) from exc
        return ModelFile(path=str(path), sha256=sha256_of(path), model=estimator)

    def save(self, data: Any) -> None:
        with atomic_write_path(self._filepath) as temporary:
            data.save_model(str(temporary))


class TorchCheckpointDataset(_ModelFileDataset):
    """Checkpoint dictionary saved with ``torch.save`` and loaded with ``weights_only=True``.

    ``weights_only`` loading runs no pickled code, so the file may only hold tensors and
    plain Python containers, strings and numbers.
    """

    def __init__(
        self,
        filepath: str,
        required_keys: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Create the dataset.

        Args:
            filepath: Local path of the checkpoint.
            required_keys: Keys the checkpoint dictionary must have.
            metadata: Free-form metadata, ignored by Kedro.
        """
        super().__init__(filepath, metadata)
        self._required_keys = list(required_keys or [])

    def load(self) -> ModelFile:
        import torch

        path = self._filepath
        fix = (
            "Replace it with a checkpoint written by the training pipeline, "
            "or delete it to skip it."
        )
        _check_not_empty(path, "a torch checkpoint", fix)
        try:
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ModelFileError(
                f"Model file '{path}' is not a torch checkpoint that loads with "
                f"weights_only=True: {exc}. {fix}"
            ) from exc
        if not isinstance(checkpoint, dict):
            raise ModelFileError(
                f"Checkpoint '{path}' contains a {type(checkpoint).__name__}, not a dict. {fix}"
            )
        missing = [key for key in self._required_keys if key not in checkpoint]
        if missing:
            raise ModelFileError(f"Checkpoint '{path}' lacks the keys {missing}. {fix}")
        return ModelFile(path=str(path), sha256=sha256_of(path), model=checkpoint)

    def save(self, data: dict[str, Any]) -> None:
        import torch

        with atomic_write_path(self._filepath) as temporary:
            torch.save(data, temporary)


class YOLOWeightsDataset(_ModelFileDataset):
    """Ultralytics YOLO weights file (``.pt``), as written by ``model.train()``.

    Saving takes the file's bytes. Loading checks that the file is a torch archive and
    returns a ``ModelFile`` whose ``model`` is None: the weights are a pickle that only
    ultralytics can load, which the registry does when it logs the model. Load such files
    only from sources you trust, because unpickling can run code.
    """

    def load(self) -> ModelFile:
        path = self._filepath
        fix = "Replace it with a `best.pt` from ultralytics training, or delete it to skip it."
        _check_not_empty(path, "YOLO weights", fix)
        if not zipfile.is_zipfile(path):
            raise ModelFileError(
                f"Model file '{path}' is not a torch archive, so not YOLO weights. {fix}"
            )
        with zipfile.ZipFile(path) as archive:
            if not any(name.endswith("data.pkl") for name in archive.namelist()):
                raise ModelFileError(
                    f"Model file '{path}' has no data.pkl, so it is not YOLO weights. {fix}"
                )
        return ModelFile(path=str(path), sha256=sha256_of(path), model=None)

    def save(self, data: bytes) -> None:
        with atomic_write_path(self._filepath) as temporary:
            temporary.write_bytes(data)
