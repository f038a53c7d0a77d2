"""A dataset wrapper that records the data a run trained on as an MLflow dataset input."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

from mlops.datasets.optional import DatasetWrapper, _location

logger = logging.getLogger(__name__)

DIGEST_LENGTH = 16  # hex characters; MLflow stores dataset digests in a 36-character column


def folder_digest(folder: Path) -> str:
    """Return a digest of every file's relative path and bytes under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:DIGEST_LENGTH]


class MlflowInputDataset(DatasetWrapper):
    """Wrap a dataset so that loading it logs an input of the active MLflow run.

    Two runs that trained on different data then show different digests on the run
    page, and the registry copies them to the model versions of the run. A DataFrame is
    logged with ``mlflow.data.from_pandas``. A path (an image folder, or the ``data.yaml``
    of a detection data set) is logged with a digest of every file in its folder. Saving
    is passed to the wrapped dataset and logs nothing.
    """

    def __init__(
        self,
        dataset: dict[str, Any] | AbstractDataset,
        name: str,
        context: str = "training",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Create the wrapper.

        Args:
            dataset: The wrapped dataset's definition, as in the catalog.
            name: Name of the input in MLflow, such as ``tabular_raw``.
            context: MLflow input context tag.
            metadata: Free-form metadata, ignored by Kedro.
        """
        super().__init__(dataset, metadata)
        self._name = name
        self._context = context

    def load(self) -> Any:
        data = self._dataset.load()
        self._log_input(data)
        return data

    def _describe(self) -> dict[str, Any]:
        return {"name": self._name, "dataset": self._dataset._describe()}

    def _log_input(self, data: Any) -> None:
        import mlflow
        import pandas as pd
        from mlflow.data.dataset_source_registry import resolve_dataset_source
        from mlflow.data.meta_dataset import MetaDataset

        if mlflow.active_run() is None:
            return
        if isinstance(data, pd.DataFrame):
            source = str(Path(_location(self._dataset)).resolve())
            dataset = mlflow.data.from_pandas(data, source=source, name=self._name)
        else:
            path = Path(str(data))
            folder = path if path.is_dir() else path.parent
            dataset = MetaDataset(
                source=resolve_dataset_source(str(folder.resolve())),
                name=self._name,
                digest=folder_digest(folder),
            )
        mlflow.log_input(dataset, context=self._context)
        logger.info("Logged input '%s' (digest %s) to the MLflow run", self._name, dataset.digest)
