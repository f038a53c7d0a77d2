"""Register a model file as a new version of a registered model, inside the active run.

Works inside ``kedro run`` (the session run is reused) and from a plain script (a run is
started for the registration and closed after it).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mlflow
from mlflow.models.model import ModelInfo

from mlops.datasets.files import MissingFile, ModelFile
from mlops.tracking import active_or_new_run, record_registration

logger = logging.getLogger(__name__)


class RegistryError(Exception):
    """A model could not be logged or registered."""


@dataclass(frozen=True)
class RegistrationResult:
    """Outcome of one model's registration.

    Attributes:
        model_key: Short model name, such as ``xgboost``.
        status: ``registered`` or ``skipped``.
        source_path: The model file the outcome is about.
        registered_model_name: Name in the MLflow Model Registry, when registered.
        version: The new version number, when registered.
        run_id: The MLflow run the version came from, when registered.
    """

    model_key: str
    status: str
    source_path: str
    registered_model_name: str | None = None
    version: int | None = None
    run_id: str | None = None

    @property
    def summary(self) -> str:
        """One-line outcome, as shown in the run summary."""
        if self.status == "registered":
            return f"registered {self.registered_model_name} version {self.version}"
        return f"skipped: {self.source_path} not found"


def scalar_metrics(metrics: Mapping[str, Any] | MissingFile | None) -> dict[str, float]:
    """Return the finite numeric entries of a metrics mapping; histories are left out."""
    if not isinstance(metrics, Mapping):
        return {}
    return {
        name: float(value)
        for name, value in metrics.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    }


def register_model_file(
    model_file: ModelFile | MissingFile,
    *,
    model_key: str,
    registered_model_name: str,
    log_model: Callable[[ModelFile, str], ModelInfo],
    metrics: Mapping[str, Any] | MissingFile | None = None,
) -> RegistrationResult:
    """Log ``model_file`` to the active run and register it as a new model version.

    A missing file is skipped with one WARNING. The version is tagged with the run id,
    the file's path and SHA-256, and the model's metrics as ``<model_key>.<metric>``.

    Args:
        model_file: The model file, or ``MissingFile`` when it does not exist.
        model_key: Short model name, used for the logged model and metric tags.
        registered_model_name: Name in the MLflow Model Registry.
        log_model: Flavor function from ``mlops.registry.flavors``.
        metrics: Metrics the model came with; non-numeric entries are ignored.

    Returns:
        What happened, with the new version number when registered.

    Raises:
        RegistryError: If logging or registering the model fails.
    """
    if isinstance(model_file, MissingFile):
        logger.warning(
            "Model file '%s' for model '%s' not found: its registration is skipped. "
            "Train the model or copy a model file there to register it.",
            model_file.path,
            model_key,
        )
        result = RegistrationResult(
            model_key=model_key, status="skipped", source_path=model_file.path
        )
        record_registration(model_key, result.summary)
        return result

    with active_or_new_run() as run:
        run_id = run.info.run_id
        tags = {
            "run_id": run_id,
            "source_path": model_file.path,
            "source_sha256": model_file.sha256,
        }
        tags |= {
            f"{model_key}.{name}": str(value) for name, value in scalar_metrics(metrics).items()
        }
        try:
            model_info = log_model(model_file, model_key)
            version = mlflow.register_model(model_info.model_uri, registered_model_name, tags=tags)
        except Exception as exc:
            raise RegistryError(
                f"Could not register model file '{model_file.path}' as '{registered_model_name}' "
                f"in run {run_id} at {mlflow.get_tracking_uri()}: {exc}"
            ) from exc
        result = RegistrationResult(
            model_key=model_key,
            status="registered",
            source_path=model_file.path,
            registered_model_name=registered_model_name,
            version=int(version.version),
            run_id=run_id,
        )
        record_registration(model_key, result.summary)
    logger.info(
        "Registered '%s' as %s version %s (run %s)",
        model_file.path,
        registered_model_name,
        result.version,
        run_id,
    )
    return result
