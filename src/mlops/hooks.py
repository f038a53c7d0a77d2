"""Kedro hooks that protect the session's MLflow run and summarise it at the end."""

from __future__ import annotations

import logging
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.pipeline.node import Node

from mlops.tracking import SessionRunGuard, format_run_summary

logger = logging.getLogger(__name__)


class SessionRunHook:
    """Guard the MLflow run kedro-mlflow opens and log its summary when it ends.

    The hook implementations are ordered (``trylast``, ``tryfirst``) around kedro-mlflow's,
    which start the run before ``before_pipeline_run`` here and end it after
    ``after_pipeline_run`` and ``on_pipeline_error`` here. The run is therefore active
    from the first node to the summary.
    """

    def __init__(self) -> None:
        self._guard: SessionRunGuard | None = None

    @hook_impl(trylast=True)
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        self._guard = SessionRunGuard.capture()
        if self._guard is None:
            logger.info("No MLflow run is active: tracking is off for this pipeline")
            return
        self._guard.export_environment()

    @hook_impl
    def after_node_run(self, node: Node) -> None:
        if self._guard is not None:
            self._guard.restore(f"Node '{node.name}'")

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
        self._finish("FINISHED")

    @hook_impl(tryfirst=True)
    def on_pipeline_error(self, error: Exception) -> None:
        try:
            self._finish("FAILED")
        except Exception:
            logger.exception("Could not summarise the session run after the pipeline failed")

    def _finish(self, status: str) -> None:
        guard, self._guard = self._guard, None
        if guard is None:
            return
        try:
            guard.restore("The pipeline")
            logger.info("%s", format_run_summary(guard.run_id, status))
        finally:
            guard.close()
