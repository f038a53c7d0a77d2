"""Metrics saved as JSON and logged to the active MLflow run under a model's namespace."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path, PurePosixPath
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from mlops.datasets.files import atomic_write_path

# MLflow's limit on metrics in one log_batch request.
_MLFLOW_BATCH_SIZE = 1000


class MetricsDataset(AbstractDataset):
    """Model metrics: a JSON file, plus MLflow metrics named ``<prefix>.<name>``.

    Saving takes a mapping of metric names to a number or a list of numbers. A number is
    logged once; a list is a per-epoch history, logged with the epoch index as the step.
    Nothing is logged when no MLflow run is active. Loading returns the saved mapping.
    """

    def __init__(self, filepath: str, prefix: str, metadata: dict[str, Any] | None = None) -> None:
        """Create the dataset.

        Args:
            filepath: Local path of the JSON file.
            prefix: Namespace of the MLflow metric names, usually the model name.
            metadata: Free-form metadata, ignored by Kedro.
        """
        self._filepath = Path(filepath)
        self._prefix = prefix
        self.metadata = metadata

    def load(self) -> dict[str, Any]:
        try:
            return json.loads(self._filepath.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DatasetError(
                f"Metrics file '{self._filepath}' is not valid JSON: {exc}. "
                "Delete it and run the training pipeline again."
            ) from exc

    def save(self, data: dict[str, Any]) -> None:
        with atomic_write_path(self._filepath) as temporary:
            temporary.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
        self._log_to_mlflow(data)

    def _log_to_mlflow(self, data: dict[str, Any]) -> None:
        import mlflow
        from mlflow.entities import Metric

        run = mlflow.active_run()
        if run is None:
            return
        timestamp = int(time.time() * 1000)
        metrics = []
        for name, value in data.items():
            key = f"{self._prefix}.{name}"
            history = value if isinstance(value, list) else [value]
            metrics += [
                Metric(key, float(item), timestamp, step)
                for step, item in enumerate(history)
                if _is_number(item)
            ]
        client = mlflow.MlflowClient()
        for start in range(0, len(metrics), _MLFLOW_BATCH_SIZE):
            client.log_batch(run.info.run_id, metrics=metrics[start : start + _MLFLOW_BATCH_SIZE])

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": PurePosixPath(self._filepath).as_posix(), "prefix": self._prefix}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
