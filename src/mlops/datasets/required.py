"""A dataset wrapper for input data that an earlier pipeline or the user must provide."""

from __future__ import annotations

from typing import Any

from kedro.io import DatasetError

from mlops.datasets.optional import DatasetWrapper, _location


class RequiredDataset(DatasetWrapper):
    """Wrap a dataset whose data must exist before the pipeline reads it.

    Loading data that does not exist raises a ``DatasetError`` that names the file and
    the fix, in place of the wrapped dataset's "No such file" error. Saving is passed to
    the wrapped dataset.

    Example in ``catalog.yml``::

        xgboost_inference_table:
          type: mlops.datasets.RequiredDataset
          dataset:
            type: pandas.ParquetDataset
            filepath: data/05_model_input/xgboost_test.parquet
    """

    def load(self) -> Any:
        if not self._dataset.exists():
            raise DatasetError(
                f"Input data '{_location(self._dataset)}' not found. Run `kedro run` first, "
                "whose data preparation and training pipelines write the default data, or "
                "point this catalog entry at your data."
            )
        return self._dataset.load()
