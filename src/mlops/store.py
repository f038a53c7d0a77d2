"""Check and prepare the MLflow tracking store before a session starts its run.

Two failure modes are cheaper to handle before kedro-mlflow touches the store:

- A tracking server that is down: MLflow 3 retries each request 7 times with exponential
  back-off (``MLFLOW_HTTP_REQUEST_MAX_RETRIES``, ``MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR``),
  which takes minutes. A TCP connect with a short timeout fails in seconds.
- A new SQLite store opened by two processes at once: both run MLflow's schema
  migrations and one fails with "duplicate column name". A file lock next to the
  database lets one process migrate it and create the experiment while the other waits.

This module imports nothing of the project.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import mlflow
from mlflow.exceptions import MlflowException

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
LOCK_TIMEOUT_S = 120.0


class TrackingStoreError(Exception):
    """The MLflow tracking store cannot be reached or prepared."""


def check_server_reachable(uri: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Raise ``TrackingStoreError`` unless an HTTP(S) tracking server accepts connections.

    Args:
        uri: The tracking URI; URIs of other schemes are not checked.
        timeout: Seconds to wait for the TCP connection.
    """
    parsed = urlparse(uri)
    if parsed.scheme not in ("http", "https"):
        return
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname, port), timeout=timeout):
            pass
    except OSError as exc:
        raise TrackingStoreError(
            f"Cannot connect to the MLflow tracking server at {uri}: {exc}. Start the "
            "server, or set server.mlflow_tracking_uri in conf/<env>/mlflow.yml (or the "
            "MLFLOW_TRACKING_URI environment variable) to a reachable one."
        ) from exc


def export_local_credentials(context, key: str) -> None:
    """Export the entries of ``key`` in conf/local's credentials as environment variables.

    kedro-mlflow exports ``server.credentials`` from the credentials of the run's
    environment only, so ``kedro run --env server`` would not see conf/local, where
    secrets live. Variables already set in the environment are kept, which lets CI and
    orchestrators pass their own.

    Args:
        context: The Kedro context, for the configuration folder and its resolvers.
        key: The credentials entry named by ``server.credentials`` in mlflow.yml.
    """
    from kedro.config import MissingConfigException, OmegaConfigLoader

    # A new loader clears OmegaConf's global oc.env resolver, so it gets the project's
    # custom resolvers back, which the session's own loader needs for mlflow.yml.
    loader = OmegaConfigLoader(
        conf_source=str(context.config_loader.conf_source),
        base_env="local",
        default_run_env="local",
        custom_resolvers=getattr(context.config_loader, "_custom_resolvers", None),
    )
    try:
        entries = loader["credentials"].get(key) or {}
    except MissingConfigException:
        return
    exported = []
    for name, value in entries.items():
        if str(name) not in os.environ:
            os.environ[str(name)] = str(value)
            exported.append(str(name))
    if exported:
        logger.info("Exported %s from '%s' in conf/local/credentials.yml", ", ".join(exported), key)


def sqlite_path(uri: str) -> Path | None:
    """Return the database file of a ``sqlite:///`` URI, or None for other URIs."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix):
        return None
    return Path(uri[len(prefix) :].split("?", 1)[0])


@contextmanager
def _file_lock(path: Path, timeout: float) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the block, on POSIX systems only."""
    try:
        import fcntl
    except ImportError:  # Windows has no fcntl, so concurrent first runs race there
        yield
        return
    import time

    deadline = time.monotonic() + timeout
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TrackingStoreError(
                        f"Timed out after {timeout:.0f} s waiting for the lock '{path}' "
                        "held by another process preparing the same MLflow store. If no "
                        "other kedro run is active, delete the lock file."
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_sqlite_store(uri: str, experiment_name: str, artifact_location: str | None) -> None:
    """Create or migrate a SQLite store and its experiment, one process at a time.

    Args:
        uri: A ``sqlite:///`` tracking URI; other URIs are left alone.
        experiment_name: The experiment to create when it does not exist.
        artifact_location: Artifact root of a new experiment (a URI), or None for MLflow's
            default.
    """
    database = sqlite_path(uri)
    if database is None:
        return
    if not database.parent.is_dir():
        raise TrackingStoreError(
            f"The folder of the SQLite tracking store {uri} does not exist "
            f"('{database.parent}'). Run kedro from the project root, or set "
            "server.mlflow_tracking_uri in conf/<env>/mlflow.yml."
        )
    lock = database.with_name(f"{database.name}.lock")
    with _file_lock(lock, LOCK_TIMEOUT_S):
        client = mlflow.MlflowClient(tracking_uri=uri)
        try:
            if client.get_experiment_by_name(experiment_name) is None:
                client.create_experiment(experiment_name, artifact_location=artifact_location)
                logger.info("Created MLflow experiment '%s' in %s", experiment_name, uri)
        except MlflowException as exc:
            raise TrackingStoreError(
                f"Cannot prepare the SQLite tracking store {uri}: {exc}"
            ) from exc
