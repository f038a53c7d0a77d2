"""The MLflow run of a Kedro session: reuse, protection and end-of-run summary.

kedro-mlflow opens one run per ``kedro run``. Everything here keeps that run the only one:
code that needs a run reuses the active one, and ``SessionRunGuard`` repairs whatever a
library changes behind the session's back (tracking URI, experiment, active run,
autologging). This module imports nothing from the rest of the project.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import mlflow
from mlflow.entities import Run
from mlflow.utils.autologging_utils import AUTOLOGGING_INTEGRATIONS

logger = logging.getLogger(__name__)

REGISTRATION_TAG_PREFIX = "mlops.registration."
# Model version tag recording whether the session that registered the version completed.
SESSION_STATUS_TAG = "mlops.session_status"
SESSION_ERROR_TAG = "mlops.session_error"
MAX_TAG_ERROR_LENGTH = 500
# Aliases of a version registered in a session, set only when the session completes.
PENDING_ALIASES_TAG = "mlops.pending_aliases"

_session_run: dict[str, str | None] = {"id": None}


@contextmanager
def active_or_new_run() -> Iterator[Run]:
    """Yield the active MLflow run, or start one for the block when none is active.

    A run started here ends when the block ends, as FAILED if the block raises. An
    active run is left open, so the session run of ``kedro run`` is reused and never
    nested.
    """
    active = mlflow.active_run()
    if active is not None:
        yield active
        return
    with mlflow.start_run() as run:
        logger.info("Started MLflow run %s because no run was active", run.info.run_id)
        yield run


def record_registration(model_key: str, outcome: str) -> None:
    """Store a model's registration outcome as a tag of the active run, if there is one.

    Args:
        model_key: Short model name, such as ``xgboost``.
        outcome: Sentence for the run summary, such as ``registered xgboost version 3``.
    """
    if mlflow.active_run() is not None:
        mlflow.set_tag(f"{REGISTRATION_TAG_PREFIX}{model_key}", outcome)


def session_run_id() -> str | None:
    """Return the run of the Kedro session in progress in this process, or None."""
    return _session_run["id"]


def aliases_wait_for_session() -> bool:
    """Return True when new versions' aliases must wait for the Kedro session to complete.

    Inside a session the aliases wait in the version tag ``mlops.pending_aliases`` until
    the pipeline succeeds, so a session that fails after registering a model moves no
    alias. Outside a session they are set at once.
    """
    active = mlflow.active_run()
    return active is not None and active.info.run_id == session_run_id()


def pending_alias_tags(aliases: list[str]) -> dict[str, str]:
    """Return the version tag that stores ``aliases`` until the session completes."""
    return {PENDING_ALIASES_TAG: ",".join(aliases)}


def set_aliases(name: str, version: str | int, aliases: list[str]) -> None:
    """Point each of ``aliases`` of registered model ``name`` at ``version``."""
    client = mlflow.MlflowClient()
    for alias in aliases:
        client.set_registered_model_alias(name, alias, str(version))


def complete_run_versions(run_id: str) -> list[str]:
    """Tag the versions registered from ``run_id`` as complete and set their pending aliases.

    Returns:
        The versions, as ``name version N``.
    """
    client = mlflow.MlflowClient()
    completed = []
    for version in client.search_model_versions(f"run_id = '{run_id}'"):
        pending = version.tags.get(PENDING_ALIASES_TAG, "")
        for alias in filter(None, pending.split(",")):
            client.set_registered_model_alias(version.name, alias, version.version)
        if pending:
            client.delete_model_version_tag(version.name, version.version, PENDING_ALIASES_TAG)
        client.set_model_version_tag(version.name, version.version, SESSION_STATUS_TAG, "complete")
        completed.append(f"{version.name} version {version.version}")
    return completed


def mark_run_versions_incomplete(run_id: str, error: str) -> list[str]:
    """Tag the versions registered from ``run_id`` as incomplete and drop their pending aliases.

    A session registers its models one node at a time, so a failure after the first
    registration leaves versions that look as good as any other. The tags
    ``mlops.session_status=incomplete`` and ``mlops.session_error`` tell them apart.

    Returns:
        The versions, as ``name version N``.
    """
    client = mlflow.MlflowClient()
    marked = []
    for version in client.search_model_versions(f"run_id = '{run_id}'"):
        if PENDING_ALIASES_TAG in version.tags:
            client.delete_model_version_tag(version.name, version.version, PENDING_ALIASES_TAG)
        client.set_model_version_tag(
            version.name, version.version, SESSION_STATUS_TAG, "incomplete"
        )
        client.set_model_version_tag(
            version.name, version.version, SESSION_ERROR_TAG, error[:MAX_TAG_ERROR_LENGTH]
        )
        marked.append(f"{version.name} version {version.version}")
    return marked


def _autologging_states() -> dict[str, bool]:
    return {
        flavor: not config.get("disable", True)
        for flavor, config in AUTOLOGGING_INTEGRATIONS.items()
    }


@dataclass
class SessionRunGuard:
    """State of the session run that no node may change.

    ``capture`` records it once the session run is active, ``export_environment``
    points libraries that honour MLflow's environment variables at it, and ``restore``
    undoes what a node changed, with one WARNING per repair.
    """

    run_id: str
    experiment_id: str
    experiment_name: str
    tracking_uri: str
    registry_uri: str
    autologging: dict[str, bool]
    _saved_environment: dict[str, str | None] = field(default_factory=dict, repr=False)

    @classmethod
    def capture(cls) -> SessionRunGuard | None:
        """Return the guard for the active run, or None when no run is active."""
        active = mlflow.active_run()
        if active is None:
            return None
        experiment = mlflow.get_experiment(active.info.experiment_id)
        return cls(
            run_id=active.info.run_id,
            experiment_id=active.info.experiment_id,
            experiment_name=experiment.name,
            tracking_uri=mlflow.get_tracking_uri(),
            registry_uri=mlflow.get_registry_uri(),
            autologging=_autologging_states(),
        )

    def export_environment(self) -> None:
        """Point MLflow's environment variables at the session run until ``close``.

        Code in another thread or process that calls ``mlflow.start_run()`` without a
        run id then resumes the session run instead of creating a second one, and code
        that reads the tracking URI or experiment from the environment finds the
        session's. ultralytics reads ``MLFLOW_KEEP_RUN_ACTIVE`` and then leaves the run
        open. MLflow clears ``MLFLOW_RUN_ID`` when a run ends or a run starts from it,
        so ``restore`` sets it again.
        """
        values = {
            "MLFLOW_TRACKING_URI": self.tracking_uri,
            "MLFLOW_EXPERIMENT_NAME": self.experiment_name,
            "MLFLOW_EXPERIMENT_ID": self.experiment_id,
            "MLFLOW_RUN_ID": self.run_id,
            "MLFLOW_KEEP_RUN_ACTIVE": "true",
        }
        for name, value in values.items():
            self._saved_environment.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        _session_run["id"] = self.run_id

    def close(self) -> None:
        """Give the environment variables back the values they had before the session."""
        _session_run["id"] = None
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment.clear()

    def restore(self, culprit: str) -> None:
        """Undo any change to the session's MLflow state, naming ``culprit`` in warnings.

        Args:
            culprit: What ran since the last check, e.g. ``node 'train_yolo'``.
        """
        self._restore_uris(culprit)
        self._restore_active_run(culprit)
        self._restore_experiment(culprit)
        self._restore_autologging(culprit)
        if self._saved_environment:
            self.export_environment()

    def _restore_uris(self, culprit: str) -> None:
        if mlflow.get_tracking_uri() != self.tracking_uri:
            logger.warning(
                "%s changed the MLflow tracking URI to %r; set back to %r",
                culprit,
                mlflow.get_tracking_uri(),
                self.tracking_uri,
            )
            mlflow.set_tracking_uri(self.tracking_uri)
        if mlflow.get_registry_uri() != self.registry_uri:
            logger.warning(
                "%s changed the MLflow registry URI to %r; set back to %r",
                culprit,
                mlflow.get_registry_uri(),
                self.registry_uri,
            )
            mlflow.set_registry_uri(self.registry_uri)

    def _restore_active_run(self, culprit: str) -> None:
        active = mlflow.active_run()
        while active is not None and active.info.run_id != self.run_id:
            logger.warning(
                "%s left MLflow run %s active on top of the session run %s; ending it",
                culprit,
                active.info.run_id,
                self.run_id,
            )
            mlflow.end_run()
            active = mlflow.active_run()
        if active is None:
            logger.warning(
                "%s ended the session run %s; resuming it so later nodes log into it",
                culprit,
                self.run_id,
            )
            mlflow.start_run(run_id=self.run_id)

    def _restore_experiment(self, culprit: str) -> None:
        current = mlflow.tracking.fluent._get_experiment_id()
        if current != self.experiment_id:
            logger.warning(
                "%s switched the MLflow experiment to id %s; set back to %r (id %s)",
                culprit,
                current,
                self.experiment_name,
                self.experiment_id,
            )
            mlflow.set_experiment(experiment_id=self.experiment_id)

    def _restore_autologging(self, culprit: str) -> None:
        states = _autologging_states()
        turned_on = sorted(
            flavor
            for flavor, enabled in states.items()
            if enabled and not self.autologging.get(flavor, False)
        )
        if not turned_on:
            return
        logger.warning(
            "%s turned on MLflow autologging for %s; turning it off again",
            culprit,
            ", ".join(turned_on),
        )
        # The universal switch also arms import hooks for libraries not imported yet,
        # so only the universal call disarms them. A flavor's switch affects that flavor.
        if "mlflow" in turned_on:
            mlflow.autolog(disable=True)
        for flavor in turned_on:
            if flavor != "mlflow":
                getattr(mlflow, flavor).autolog(disable=True)


def format_run_summary(run_id: str, status: str) -> str:
    """Return the end-of-run summary: run id, status, tracking URI and model outcomes."""
    run = mlflow.get_run(run_id)
    lines = [
        f"MLflow run {run_id} ({status}) in experiment {run.info.experiment_id} "
        f"at {mlflow.get_tracking_uri()}"
    ]
    outcomes = {
        key[len(REGISTRATION_TAG_PREFIX) :]: value
        for key, value in run.data.tags.items()
        if key.startswith(REGISTRATION_TAG_PREFIX)
    }
    lines += [f"  {model}: {outcome}" for model, outcome in sorted(outcomes.items())]
    return "\n".join(lines)
