"""Register a model file as a new version of a registered model, inside the active run.

Works inside ``kedro run`` (the session run is reused) and from a plain script (a run is
started for the registration and closed after it).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
from mlflow.entities import Run
from mlflow.exceptions import MlflowException
from mlflow.models.model import ModelInfo

from mlops.datasets.files import MissingFile, ModelFile
from mlops.lineage import lineage_tags
from mlops.registry.promotion import CHAMPION, PromotionDecision, PromotionGate, decide_promotion
from mlops.tracking import (
    active_or_new_run,
    aliases_wait_for_session,
    pending_alias_tags,
    record_registration,
    set_aliases,
)

logger = logging.getLogger(__name__)

# Run tags copied to every version: set by the session hook (git, Kedro environment,
# package version) and by kedro-mlflow (the `kedro run` command line).
LINEAGE_TAGS = ("git_commit", "git_dirty", "kedro_env", "mlops_version", "kedro_command")


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
        promotion: The promotion gate's decision, when a gate was applied.
    """

    model_key: str
    status: str
    source_path: str
    registered_model_name: str | None = None
    version: int | None = None
    run_id: str | None = None
    promotion: PromotionDecision | None = None

    @property
    def summary(self) -> str:
        """One-line outcome, as shown in the run summary."""
        if self.status == "registered":
            registered = f"registered {self.registered_model_name} version {self.version}"
            return f"{registered}, {self.promotion.summary}" if self.promotion else registered
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


def _lineage_tags(run: Run, training_data: str | None) -> dict[str, str]:
    """Return the version tags that record where the model came from.

    A Kedro session has set the lineage tags on its run; outside a session they are
    computed here from the working directory. The run's dataset input named
    ``training_data`` (every input when it is None) adds a ``dataset.<name>`` tag
    holding its digest.
    """
    run = mlflow.get_run(run.info.run_id)
    tags = {name: run.data.tags[name] for name in LINEAGE_TAGS if name in run.data.tags}
    if "mlops_version" not in tags:
        tags |= lineage_tags(Path.cwd())
    inputs = run.inputs.dataset_inputs if run.inputs else []
    tags |= {
        f"dataset.{item.dataset.name}": item.dataset.digest
        for item in inputs
        if training_data is None or item.dataset.name == training_data
    }
    return tags


def _current_champion(name: str, metric: str) -> tuple[int | None, float | None]:
    client = mlflow.MlflowClient()
    try:
        champion = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:  # no champion yet, or no registered model of that name
        return None, None
    value = champion.tags.get(metric)
    return int(champion.version), float(value) if value is not None else None


def _decide_promotion(name: str, tags: dict[str, str], gate: PromotionGate) -> PromotionDecision:
    champion_version, champion_value = _current_champion(name, gate.metric)
    challenger_value = float(tags[gate.metric]) if gate.metric in tags else None
    return decide_promotion(gate, challenger_value, champion_value, champion_version)


def register_model_file(
    model_file: ModelFile | MissingFile,
    *,
    model_key: str,
    registered_model_name: str,
    log_model: Callable[[ModelFile, str], ModelInfo],
    metrics: Mapping[str, Any] | MissingFile | None = None,
    promotion: PromotionGate | None = None,
    training_data: str | None = None,
) -> RegistrationResult:
    """Log ``model_file`` to the active run, register it as a new version and promote it.

    A missing file is skipped with one WARNING. The version is tagged with the run id,
    the file's path and SHA-256, the model's metrics as ``<model_key>.<metric>``, the
    lineage of the run (git commit, Kedro environment, package version, dataset
    digests) and, with a ``promotion`` gate, the gate's decision. The new version gets
    the alias ``challenger``, and ``champion`` if it passes the gate. Inside a Kedro
    session the aliases are set when the session completes.

    Args:
        model_file: The model file, or ``MissingFile`` when it does not exist.
        model_key: Short model name, used for the logged model and metric tags.
        registered_model_name: Name in the MLflow Model Registry.
        log_model: Flavor function from ``mlops.registry.flavors``.
        metrics: Metrics the model came with; non-numeric entries are ignored.
        promotion: The promotion gate, or None to set no alias.
        training_data: Name of the run's MLflow dataset input the model trained on,
            whose digest is tagged; None tags every input of the run.

    Returns:
        What happened, with the new version number and the promotion decision.

    Raises:
        RegistryError: If logging, registering or promoting the model fails.
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
            tags |= _lineage_tags(run, training_data)
            model_info = log_model(model_file, model_key)
            # The decision and pending aliases are tags of the new version from the start:
            # with MLflow 3, each later tag or alias call reads every version of the model.
            decision = None
            if promotion is not None:
                decision = _decide_promotion(registered_model_name, tags, promotion)
                tags |= decision.tags
            wait = decision is not None and aliases_wait_for_session()
            if wait:
                tags |= pending_alias_tags(decision.aliases)
            version = mlflow.register_model(model_info.model_uri, registered_model_name, tags=tags)
            if decision is not None and not wait:
                set_aliases(registered_model_name, version.version, decision.aliases)
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
            promotion=decision,
        )
        record_registration(model_key, result.summary)
    logger.info(
        "Registered '%s' as %s version %s (run %s)%s",
        model_file.path,
        registered_model_name,
        result.version,
        run_id,
        f"; {decision.summary}" if decision else "",
    )
    return result
