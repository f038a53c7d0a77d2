"""``kedro mlflow ui``: the MLflow UI on loopback, reading the project's own store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from helpers import (
    MODEL_PATHS,
    free_port,
    run_kedro,
    stop_process_group,
    subprocess_env,
    write_xgboost_model,
)

UI_START_TIMEOUT_S = 120  # a hang guard, not a speed check


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def _wait_for_experiments(url: str, process: subprocess.Popen, log: Path):
    deadline = time.monotonic() + UI_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"kedro mlflow ui exited early:\n{log.read_text()[-3000:]}")
        try:
            return _get_json(f"{url}/api/2.0/mlflow/experiments/search?max_results=10")
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    pytest.fail(f"The MLflow UI did not answer at {url}:\n{log.read_text()[-3000:]}")


def test_kedro_mlflow_ui_serves_project_store(project, tmp_path):
    write_xgboost_model(project / MODEL_PATHS["xgboost"])
    assert run_kedro(project, "--pipeline", "registry").returncode == 0
    port = free_port()
    log = tmp_path / "ui.log"
    # `kedro mlflow ui` starts the `mlflow` command from PATH, as in an activated venv.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])

    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "kedro", "mlflow", "ui", "--port", str(port)],
            cwd=project,
            env={**subprocess_env(), "PATH": path},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        experiments = _wait_for_experiments(f"http://127.0.0.1:{port}", process, log)
    finally:
        stop_process_group(process)

    names = [experiment["name"] for experiment in experiments["experiments"]]
    assert "mlops" in names
