"""``kedro run --env server`` against a real MLflow tracking server with PostgreSQL.

The fixtures start PostgreSQL (Debian's package, installed when missing) in a temporary
folder and ``mlflow server`` with that backend store and proxied artifacts, both on
127.0.0.1, and stop them when the tests end, whatever their outcome.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import (
    LOOPBACK_HTTP,
    REPO_ROOT,
    free_port,
    guarded_env,
    install_debian_package,
    run_kedro,
    stop_process_group,
    subprocess_env,
    wait_for_http_ok,
)
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from mlops.store import TrackingStoreError

POSTGRES_ROOT = Path("/usr/lib/postgresql")
SERVER_START_TIMEOUT_S = 180  # a hang guard, not a speed check
MODELS = ("xgboost", "yolo", "efficientnet")


@dataclass(frozen=True)
class TrackingServer:
    """A running ``mlflow server``: its URL and the folder its artifacts are stored in."""

    url: str
    artifacts: Path


def _postgres_bin() -> Path:
    found = sorted(POSTGRES_ROOT.glob("*/bin/initdb"))
    if not found:
        install_debian_package("postgresql", POSTGRES_ROOT)
        found = sorted(POSTGRES_ROOT.glob("*/bin/initdb"))
    if not found:
        pytest.fail(f"Debian's postgresql is installed but {POSTGRES_ROOT} has no initdb.")
    return found[-1].parent


def _as_postgres_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root, so root runs it as Debian's postgres user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _run_checked(command: list[str], description: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    if result.returncode != 0:
        output = f"{result.stdout}\n{result.stderr}"
        pytest.fail(f"{description} failed ({' '.join(command)}):\n{output}")


@pytest.fixture(scope="module")
def postgres_url():
    """Start a PostgreSQL server on a free loopback port; yield the URL of an empty database."""
    bin_dir = _postgres_bin()
    # Outside pytest's temporary folders, which only their owner may enter, because the
    # server runs as the postgres user when the tests run as root.
    folder = Path(tempfile.mkdtemp(prefix="mlops-postgres-"))
    data, log = folder / "data", folder / "postgres.log"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    port = free_port()

    _run_checked(
        _as_postgres_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                           "--auth=trust", "--encoding=UTF8"]),
        "initdb",
    )  # fmt: skip

    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    _run_checked(
        _as_postgres_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o",
                           options, "-w", "-t", "120", "start"]),
        "Starting PostgreSQL",
    )  # fmt: skip

    try:
        _run_checked(
            [
                str(bin_dir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "mlflow",
            ],
            "createdb",
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/mlflow"
    finally:
        subprocess.run(
            _as_postgres_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            capture_output=True,
            check=False,
            timeout=120,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def tracking_server(postgres_url: str, tmp_path_factory: pytest.TempPathFactory):
    """Start ``mlflow server`` on PostgreSQL with proxied artifacts; stop it afterwards."""
    folder = tmp_path_factory.mktemp("mlflow_server")
    artifacts, log = folder / "artifacts", folder / "server.log"
    url = f"http://127.0.0.1:{free_port()}"
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", postgres_url,
        "--serve-artifacts", "--artifacts-destination", str(artifacts),
        "--host", "127.0.0.1", "--port", url.rsplit(":", 1)[1], "--workers", "1",
    ]  # fmt: skip
    with log.open("w") as output:
        process = subprocess.Popen(
            command,
            cwd=folder,
            env=subprocess_env(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_http_ok(f"{url}/health", process, log, SERVER_START_TIMEOUT_S)
        yield TrackingServer(url=url, artifacts=artifacts)
    finally:
        stop_process_group(process)


def _rest(server: TrackingServer, path: str, body: dict | None = None) -> dict:
    """Call the server's REST API: GET with query parameters, or POST with a JSON body."""
    if body is None:
        request = urllib.request.Request(f"{server.url}/api/2.0/mlflow/{path}")
    else:
        request = urllib.request.Request(
            f"{server.url}/api/2.0/mlflow/{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
    with LOOPBACK_HTTP.open(request, timeout=30) as response:
        return json.loads(response.read())


def _server_project(project: Path) -> None:
    """Give the project's server environment the ci environment's small budgets."""
    for path in (REPO_ROOT / "conf" / "ci").iterdir():
        shutil.copy(path, project / "conf" / "server" / path.name)


def test_server_env_logs_one_run_to_server(project, tracking_server, tmp_path):
    _server_project(project)
    (project / "mlflow.db").unlink()
    network_log = tmp_path / "network.log"
    env = guarded_env(network_log, {"MLFLOW_TRACKING_URI": tracking_server.url})

    result = run_kedro(project, "--env", "server", extra_env=env)

    assert result.returncode == 0, result.stderr[-5000:]
    assert not network_log.exists(), network_log.read_text()
    assert not (project / "mlflow.db").exists()
    assert not (project / "mlartifacts").exists()
    experiment = _rest(tracking_server, "experiments/get-by-name?experiment_name=mlops")
    experiment_id = experiment["experiment"]["experiment_id"]
    runs = _rest(tracking_server, "runs/search", {"experiment_ids": [experiment_id]})["runs"]
    assert len(runs) == 1
    run = runs[0]
    assert run["info"]["status"] == "FINISHED"
    metrics = {metric["key"] for metric in run["data"]["metrics"]}
    assert {"xgboost.roc_auc", "yolo.map50", "efficientnet.top1"} <= metrics
    for model in MODELS:
        query = urllib.parse.urlencode({"filter": f"name='{model}'"})
        versions = _rest(tracking_server, f"model-versions/search?{query}")["model_versions"]
        assert [version["run_id"] for version in versions] == [run["info"]["run_id"]], model
        alias = urllib.parse.urlencode({"name": model, "alias": "champion"})
        champion = _rest(tracking_server, f"registered-models/alias?{alias}")["model_version"]
        assert champion["version"] == versions[0]["version"], model
    assert any(tracking_server.artifacts.rglob("MLmodel"))


def test_server_env_unreachable_server_fails_fast(project):
    _server_project(project)
    url = f"http://127.0.0.1:{free_port()}"

    result = run_kedro(project, "--env", "server", extra_env={"MLFLOW_TRACKING_URI": url})

    assert result.returncode != 0
    assert f"Cannot connect to the MLflow tracking server at {url}" in result.stderr


def test_server_env_exports_local_credentials(project, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{free_port()}")
    for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.setenv(name, "placeholder")  # so that the test's end restores "unset"
        monkeypatch.delenv(name)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "from-environment")
    (project / "conf" / "local" / "credentials.yml").write_text(
        "mlflow_server:\n"
        "  MLFLOW_TRACKING_USERNAME: alice\n"
        "  MLFLOW_TRACKING_PASSWORD: from-file\n",
        encoding="utf-8",
    )
    bootstrap_project(project)

    with KedroSession.create(project_path=project, env="server") as session:
        with pytest.raises(TrackingStoreError, match="Cannot connect"):
            session.load_context()

    assert os.environ["MLFLOW_TRACKING_USERNAME"] == "alice"
    assert os.environ["MLFLOW_TRACKING_PASSWORD"] == "from-environment"
