"""Kedro hooks that prepare, protect and close the session's MLflow run.

``MlflowSessionHook`` is kedro-mlflow's hook (registered here instead of through its
entry point) with an error path that never hides the pipeline's error.
``SessionRunHook`` checks the store before the run starts, guards the run while nodes
run, stops on SIGINT/SIGTERM through the error path, and tags the session's model
versions with its outcome.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import mlflow
from kedro.config import MissingConfigException
from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl
from kedro.io import SharedMemoryDataCatalog
from kedro.pipeline.node import Node
from kedro_mlflow.framework.hooks.mlflow_hook import MlflowHook
from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH

from mlops.interrupts import InterruptHandler, PipelineInterrupted
from mlops.lineage import lineage_tags
from mlops.store import check_server_reachable, export_local_credentials, prepare_sqlite_store
from mlops.tracking import (
    SessionRunGuard,
    complete_run_versions,
    format_run_summary,
    mark_run_versions_incomplete,
)

logger = logging.getLogger(__name__)

MLFLOW_CONFIG_PATTERNS = ["mlflow*", "mlflow*/**", "**/mlflow*"]


class RunnerNotSupportedError(Exception):
    """The requested Kedro runner cannot log into one MLflow run."""


_METRIC_DATASET_TYPES = (
    "MlflowMetricDataset",
    "MlflowMetricHistoryDataset",
    "MlflowMetricsHistoryDataset",
)


class _CatalogView:
    """The named entries of a catalog, read and replaced through the catalog itself."""

    def __init__(self, catalog, names: list[str]) -> None:
        self._catalog = catalog
        self._names = names

    def items(self) -> list[tuple[str, Any]]:
        return [(name, self._catalog[name]) for name in self._names]

    def __setitem__(self, name: str, dataset) -> None:
        self._catalog[name] = dataset


class MlflowSessionHook(MlflowHook):
    """kedro-mlflow's hook, whose error path ends the run and logs its own exceptions.

    kedro-mlflow 2.0.3 raises from ``on_pipeline_error`` when no run is active in the
    thread, and MLflow raises when the store is unreachable. Either would replace the
    pipeline's error. An interrupted pipeline ends its run as KILLED instead of FAILED.
    The hook also logs each node's parameters in one batch, leaves the catalog's
    datasets unloaded until nodes use them, and keeps the name of a run continued
    through ``MLFLOW_RUN_ID``.
    """

    def __init__(self) -> None:
        super().__init__()
        # Parameters collected by _log_param, per thread because ThreadRunner runs
        # several nodes at once.
        self._param_batch = threading.local()

    @hook_impl
    def after_catalog_created(  # noqa: PLR0913, PLR0917 (pluggy passes arguments by name)
        self, catalog, conf_catalog, conf_creds, parameters, save_version, load_versions
    ) -> None:
        # kedro-mlflow names its metric datasets here by walking catalog.items(), which
        # creates every dataset and imports its library (matplotlib alone: 0.5 s). It
        # gets only the entries configured as its metric datasets; the rest stay lazy.
        names = [
            name
            for name, config in (conf_catalog or {}).items()
            if isinstance(config, dict)
            and str(config.get("type", "")).rsplit(".", 1)[-1] in _METRIC_DATASET_TYPES
        ]
        super().after_catalog_created(
            catalog=_CatalogView(catalog, names),
            conf_catalog=conf_catalog,
            conf_creds=conf_creds,
            parameters=parameters,
            save_version=save_version,
            load_versions=load_versions,
        )

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:
        run_config = self.mlflow_config.tracking.run
        handed_over = os.environ.get("MLFLOW_RUN_ID")
        if handed_over and run_config.id is None and run_config.name is None:
            # kedro-mlflow names the run after the pipeline, which would rename a run
            # continued through MLFLOW_RUN_ID in every process. It keeps its name.
            run_config.name = mlflow.MlflowClient().get_run(handed_over).info.run_name
        super().before_pipeline_run(run_params=run_params, pipeline=pipeline, catalog=catalog)

    @hook_impl
    def before_node_run(self, node: Node, catalog, inputs: dict[str, Any], is_async: bool) -> None:
        # kedro-mlflow logs a node's parameters one call, and one store write, at a time.
        # They are collected here and logged in one batch: about 100 parameters cost
        # 0.5 s on SQLite otherwise, and one HTTP request each on a tracking server.
        self._param_batch.params = {}
        try:
            super().before_node_run(node=node, catalog=catalog, inputs=inputs, is_async=is_async)
            params = self._param_batch.params
        finally:
            self._param_batch.params = None
        if params:
            mlflow.log_params(params)

    def _log_param(self, name: str, value: Any) -> None:
        params = getattr(self._param_batch, "params", None)
        if params is not None and len(str(value)) <= MAX_PARAM_VAL_LENGTH:
            params[name] = value
            return
        super()._log_param(name, value)

    @hook_impl
    def on_pipeline_error(self, error: Exception, run_params, pipeline, catalog) -> None:
        try:
            super().on_pipeline_error(error, run_params, pipeline, catalog)
            if isinstance(error, PipelineInterrupted) and getattr(self, "run_id", None):
                mlflow.MlflowClient().set_terminated(self.run_id, "KILLED")
        except Exception:
            logger.exception(
                "Could not close MLflow run %s after the pipeline failed; the pipeline's "
                "own error follows",
                getattr(self, "run_id", None),
            )


class SessionRunHook:
    """Prepare the store, guard the MLflow run kedro-mlflow opens, and close it cleanly.

    The hook implementations are ordered (``tryfirst``, ``trylast``) around
    ``MlflowSessionHook``'s, which start the run before ``before_pipeline_run`` here and
    end it after ``after_pipeline_run`` and ``on_pipeline_error`` here. The run is
    therefore active from the first node to the summary.
    """

    def __init__(self) -> None:
        self._guard: SessionRunGuard | None = None
        self._interrupts = InterruptHandler()
        self._kedro_env: str | None = None

    @hook_impl(tryfirst=True)
    def after_context_created(self, context: KedroContext) -> None:
        loader = context.config_loader
        self._kedro_env = getattr(loader, "env", None) or getattr(loader, "default_run_env", None)
        if mlflow.active_run() is not None:
            return  # kedro-mlflow reuses a run started by the caller, in its store
        config = _mlflow_config(context)
        server = config.get("server") or {}
        if server.get("credentials"):
            export_local_credentials(context, server["credentials"])
        # The same fallback as kedro-mlflow: the environment variable, else its default.
        uri = server.get("mlflow_tracking_uri") or os.environ.get("MLFLOW_TRACKING_URI")
        if not uri:
            return
        check_server_reachable(uri)
        experiment = (config.get("tracking") or {}).get("experiment") or {}
        prepare_sqlite_store(
            uri,
            experiment_name=experiment.get("name") or context._package_name or "Default",
            artifact_location=_artifact_location(context.project_path, experiment),
        )

    @hook_impl
    def after_catalog_created(self, catalog: Any) -> None:
        if isinstance(catalog, SharedMemoryDataCatalog):
            raise RunnerNotSupportedError(
                "ParallelRunner is not supported: it runs nodes in worker processes, where "
                "kedro-mlflow's hooks do not log parameters and artifacts into the session's "
                "MLflow run. Use the default SequentialRunner or --runner ThreadRunner."
            )

    @hook_impl(trylast=True)
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        self._guard = SessionRunGuard.capture()
        if self._guard is None:
            logger.info("No MLflow run is active: tracking is off for this pipeline")
            return
        self._guard.export_environment()
        mlflow.set_tags(lineage_tags(Path(run_params["project_path"]), self._kedro_env))
        self._interrupts.install()

    @hook_impl
    def after_node_run(self, node: Node) -> None:
        if self._guard is not None:
            self._guard.restore(f"Node '{node.name}'")
        # A library may catch the interruption raised inside a node and go on.
        self._interrupts.raise_if_received()

    @hook_impl
    def on_node_error(self, error: Exception, node: Node) -> None:
        # The node's own error is what the user must see, so a failure to repair the
        # run is logged here and never raised over it.
        if self._guard is None:
            return
        try:
            self._guard.restore(f"Node '{node.name}'")
        except Exception:
            logger.exception("Could not restore the session run after node '%s' failed", node.name)

    @hook_impl(tryfirst=True)
    def after_pipeline_run(self) -> None:
        self._finish("FINISHED", error=None)

    @hook_impl(tryfirst=True)
    def on_pipeline_error(self, error: Exception) -> None:
        status = "KILLED" if isinstance(error, PipelineInterrupted) else "FAILED"
        try:
            self._finish(status, error=error)
        except Exception:
            logger.exception("Could not summarise the session run after the pipeline failed")

    def _finish(self, status: str, error: Exception | None) -> None:
        self._interrupts.uninstall()
        self._interrupts.received = None
        guard, self._guard = self._guard, None
        if guard is None:
            return
        try:
            if error is not None:
                # Repairs are best effort here: the versions must be tagged regardless.
                _log_errors(guard.restore, "The pipeline")
                _tag_incomplete_versions(guard.run_id, error)
            else:
                guard.restore("The pipeline")
                complete_run_versions(guard.run_id)
            logger.info("%s", format_run_summary(guard.run_id, status))
        finally:
            guard.close()


def _log_errors(function, *args) -> None:
    try:
        function(*args)
    except Exception:
        logger.exception("Could not repair the session run after the pipeline failed")


def _tag_incomplete_versions(run_id: str, error: Exception) -> None:
    tagged = mark_run_versions_incomplete(run_id, f"{type(error).__name__}: {error}")
    if tagged:
        logger.warning(
            "The pipeline failed after registering %s. They are tagged "
            "mlops.session_status=incomplete and no alias moved; do not serve them.",
            ", ".join(tagged),
        )


def _mlflow_config(context: KedroContext) -> dict[str, Any]:
    loader = context.config_loader
    loader.config_patterns.setdefault("mlflow", MLFLOW_CONFIG_PATTERNS)
    try:
        return dict(loader["mlflow"] or {})
    except MissingConfigException:  # no mlflow.yml: kedro-mlflow's defaults apply
        return {}


def _artifact_location(project_path: Path, experiment: dict[str, Any]) -> str | None:
    # Resolved as kedro-mlflow resolves it: a relative path is relative to the project.
    location = (experiment.get("create_experiment_kwargs") or {}).get("artifact_location")
    if not location or urlparse(str(location)).scheme:
        return location
    path = Path(location)
    return (path if path.is_absolute() else Path(project_path) / path).as_uri()
