"""Dataset wrappers for files that may be absent, or that must not be overwritten."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError
from kedro.io.core import parse_dataset_definition

from mlops.datasets.files import MissingFile

logger = logging.getLogger(__name__)


def _build(dataset: dict[str, Any] | AbstractDataset) -> AbstractDataset:
    if isinstance(dataset, AbstractDataset):
        return dataset
    class_obj, config = parse_dataset_definition(dataset)
    return class_obj(**config)


def _location(dataset: AbstractDataset) -> str:
    # Wrappers describe themselves as {"dataset": <the wrapped dataset's description>}.
    description = dataset._describe()
    while description:
        for key in ("filepath", "path", "root"):
            if description.get(key) is not None:
                return str(description[key])
        description = description.get("dataset") or {}
    return repr(dataset)


def _raise_if_empty_file(dataset: AbstractDataset, error: DatasetError) -> None:
    """Raise a ``DatasetError`` naming the file in place of a load ``error`` if it is empty.

    pandas reports an empty CSV only as "No columns to parse from file", which names no file.
    """
    path = Path(_location(dataset))
    if path.is_file() and path.stat().st_size == 0:
        raise DatasetError(
            f"'{path}' is empty (0 bytes), so it contains no data. Write the data to it "
            "(for a table, a header line and data rows), or delete it so that `kedro run` "
            "generates the default data again."
        ) from error


class DatasetWrapper(AbstractDataset):
    """Base of the datasets that wrap another one, given as a catalog definition.

    Loading, saving and the existence check pass through to the wrapped dataset, so a
    subclass overrides only what it changes.
    """

    def __init__(
        self,
        dataset: dict[str, Any] | AbstractDataset,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Create the wrapper.

        Args:
            dataset: The wrapped dataset, as a catalog definition or an instance.
            metadata: Free-form metadata, ignored by Kedro.
        """
        self._dataset = _build(dataset)
        self.metadata = metadata

    def load(self) -> Any:
        return self._dataset.load()

    def save(self, data: Any) -> None:
        self._dataset.save(data)

    def _exists(self) -> bool:
        return self._dataset.exists()

    def _describe(self) -> dict[str, Any]:
        return {"dataset": self._dataset._describe()}


class OptionalDataset(DatasetWrapper):
    """Wrap a dataset whose data may not exist yet, such as a placeholder model file.

    Loading returns a ``MissingFile`` with the wrapped dataset's path when its data does
    not exist, so the consuming node decides how to skip it. Data that exists but
    cannot be read still raises, since a corrupt file must not pass for a missing one.

    Example in ``catalog.yml``::

        yolo_model:
          type: mlops.datasets.OptionalDataset
          dataset:
            type: mlops.datasets.YOLOWeightsDataset
            filepath: data/06_models/yolo.pt
    """

    def load(self) -> Any:
        if not self._dataset.exists():
            location = _location(self._dataset)
            logger.debug("Optional data at '%s' does not exist", location)
            return MissingFile(location)
        return self._dataset.load()


class KeepExistingDataset(DatasetWrapper):
    """Wrap a dataset so that saving leaves existing data untouched.

    Nodes that generate default data (the scikit-learn tables and images) write through
    this wrapper. The data is written on the first run and reused afterwards. A file or
    folder that a user put at the same path is never overwritten.
    """

    def load(self) -> Any:
        try:
            return self._dataset.load()
        except DatasetError as exc:
            _raise_if_empty_file(self._dataset, exc)
            raise

    def save(self, data: Any) -> None:
        if self._dataset.exists():
            logger.info(
                "Using the existing data at '%s'; the generated default data was not written",
                _location(self._dataset),
            )
            return
        logger.info(
            "Writing the generated default data to '%s', which did not exist",
            _location(self._dataset),
        )
        self._dataset.save(data)
