"""Turn SIGINT and SIGTERM during a pipeline run into an ordinary pipeline error.

Kedro calls its error hooks, which end the MLflow run, only for ``Exception``. Python's
default SIGINT handler raises ``KeyboardInterrupt`` and the default SIGTERM action kills
the process, so an interrupted ``kedro run`` would otherwise leave its run RUNNING (or
FINISHED, through MLflow's exit handler). This module imports nothing of the project.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType
from typing import Any

logger = logging.getLogger(__name__)

HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class PipelineInterrupted(Exception):
    """A pipeline run stopped by SIGINT or SIGTERM."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(f"The pipeline was interrupted by {signal_name}")
        self.signal_name = signal_name


class InterruptHandler:
    """Raise ``PipelineInterrupted`` in the main thread on SIGINT or SIGTERM.

    After the first signal the previous handlers are back, so a second Ctrl-C stops
    the process the usual way if cleaning up hangs. Forked worker processes (data
    loaders) inherit the handler and apply the default action instead.
    """

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self._owner_pid = os.getpid()
        self.received: str | None = None

    def install(self) -> None:
        """Install the handlers, in the main thread only because Python allows no other."""
        if threading.current_thread() is not threading.main_thread():
            return
        self._owner_pid = os.getpid()
        for signum in HANDLED_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)

    def uninstall(self) -> None:
        """Give back the handlers that were there before ``install``."""
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()

    def raise_if_received(self) -> None:
        """Raise ``PipelineInterrupted`` again if a signal was received, in case code caught it."""
        if self.received is not None:
            raise PipelineInterrupted(self.received)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self._owner_pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.received = signal.Signals(signum).name
        self.uninstall()
        logger.warning("Received %s: stopping the pipeline", self.received)
        raise PipelineInterrupted(self.received)
