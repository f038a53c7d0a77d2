"""Builders of tiny real model files and helpers that run the project in a subprocess."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]

# File each placeholder model lives at, relative to the project root.
MODEL_PATHS = {
    "xgboost": "data/06_models/xgboost.json",
    "yolo": "data/06_models/yolo.pt",
    "efficientnet": "data/06_models/efficientnet.pt",
}


def write_xgboost_model(path: Path) -> None:
    """Write a small XGBoost classifier trained on random data as JSON."""
    from xgboost import XGBClassifier

    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    target = (features["a"] > 0).astype(int)
    XGBClassifier(n_estimators=3, max_depth=2).fit(features, target).save_model(str(path))


def write_yolo_model(path: Path) -> None:
    """Write untrained YOLOv8n weights built from the model yaml (nothing is downloaded)."""
    from ultralytics import YOLO

    YOLO("yolov8n.yaml").save(str(path))


def write_efficientnet_checkpoint(path: Path) -> None:
    """Write an untrained EfficientNet-B0 checkpoint in the project's checkpoint format."""
    import timm
    import torch

    model = timm.create_model("efficientnet_b0", pretrained=False, num_classes=3, in_chans=1)
    torch.save(
        {
            "architecture": "efficientnet_b0",
            "class_names": ["zero", "one", "two"],
            "input_size": 32,
            "in_chans": 1,
            "mean": [0.5],
            "std": [0.5],
            "state_dict": model.state_dict(),
        },
        path,
    )


MODEL_WRITERS = {
    "xgboost": write_xgboost_model,
    "yolo": write_yolo_model,
    "efficientnet": write_efficientnet_checkpoint,
}


def copy_project(root: Path, empty_store: Path) -> None:
    """Copy the project's configuration to ``root``, with an empty store and data folders.

    The package is imported from the installed ``mlops``; the empty ``src`` folder is
    there because Kedro requires the source folder that ``pyproject.toml`` names.
    """
    root.mkdir(parents=True)
    shutil.copytree(REPO_ROOT / "conf", root / "conf", ignore=shutil.ignore_patterns("local"))
    (root / "conf" / "local").mkdir()
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy(REPO_ROOT / name, root / name)
    (root / "src").mkdir()
    shutil.copy(empty_store, root / "mlflow.db")
    for layer in ("01_raw", "05_model_input", "06_models", "07_model_output", "08_reporting"):
        (root / "data" / layer).mkdir(parents=True)


NETGUARD_DIR = Path(__file__).parent / "netguard"


def subprocess_env(extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """Return the environment of a project subprocess, as a user's shell would have it.

    pytest's own variable is dropped because ultralytics turns its integrations off
    when it is set, and the tests must run what users run. MLflow variables of the test
    process are dropped too; ``extra_env`` sets any that a test needs.
    """
    env = dict(os.environ)
    for name in (
        "MLFLOW_TRACKING_URI",
        "MLFLOW_RUN_ID",
        "MLFLOW_EXPERIMENT_NAME",
        "PYTEST_CURRENT_TEST",
    ):
        env.pop(name, None)
    return {**env, **(extra_env or {})}


def guarded_env(network_log: Path, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """Return ``extra_env`` plus the network guard, which logs blocked attempts to a file."""
    pythonpath = os.pathsep.join(filter(None, [str(NETGUARD_DIR), os.environ.get("PYTHONPATH")]))
    return {**(extra_env or {}), "PYTHONPATH": pythonpath, "NETGUARD_LOG": str(network_log)}


def run_kedro(project: Path, *args: str, extra_env: dict[str, str] | None = None):
    """Run ``kedro run ARGS`` in ``project`` as a new process and return the result."""
    env = subprocess_env(extra_env)
    return subprocess.run(
        [sys.executable, "-m", "kedro", "run", *args],
        check=False,
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )


def run_python(code: str, cwd: Path, extra_env: dict[str, str] | None = None):
    """Run Python ``code`` in a fresh interpreter in ``cwd`` and return the result."""
    return subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=cwd,
        env=subprocess_env(extra_env),
        capture_output=True,
        text=True,
        timeout=600,
    )


def signal_process_group(process_group: int, signal_number: int) -> None:
    """Send a signal to every process of a group that may already have exited."""
    try:
        os.killpg(process_group, signal_number)
    except ProcessLookupError:
        pass


def stop_process_group(process: subprocess.Popen) -> None:
    """Stop a server started with ``start_new_session=True`` and every process it started.

    The server leads its own process group, so its workers (uvicorn, the viz server)
    get the signals too: SIGTERM first, SIGKILL for whatever is left after 30 s.
    """
    signal_process_group(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    signal_process_group(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


# Loopback requests bypass any HTTP proxy set in the environment.
LOOPBACK_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def tail_text(path: Path, lines: int = 40) -> str:
    """Return the last ``lines`` lines of a log file."""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_for_http_ok(url: str, process: subprocess.Popen, output_log: Path, timeout: float):
    """Wait until ``url`` returns HTTP 200, failing the test if ``process`` exits first.

    ``timeout`` is a hang guard, not a speed check. The failure message ends with the
    server's output from ``output_log``.
    """
    import pytest

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"The server exited with code {process.returncode} before {url} returned "
                f"HTTP 200. Output:\n{tail_text(output_log)}"
            )
        try:
            with LOOPBACK_HTTP.open(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(
        f"Server start timed out: {url} did not return HTTP 200 within {timeout} s. "
        f"Output:\n{tail_text(output_log)}"
    )


APT_TIMEOUT_S = 1800  # a hang guard for apt-get on a slow mirror, not a speed check


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def install_debian_package(package: str, expected: Path) -> None:
    """Install a Debian package with apt-get unless ``expected`` (one of its files) exists.

    Fails the test with the command to run by hand when apt-get or root is missing, or
    when the installation fails.
    """
    import pytest

    if expected.exists():
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.fail(
            f"{expected} not found, and it cannot be installed here: installing it needs "
            f"apt-get and root. Install Debian's {package} package "
            f"(`apt-get install -y {package}`) and rerun the tests."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", package]):
        result = subprocess.run(
            command, check=False, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT_S
        )
        if result.returncode != 0:
            pytest.fail(
                f"`{' '.join(command)}` failed with exit code {result.returncode}, so "
                f"{expected} is missing. Install Debian's {package} package and rerun the "
                f"tests. Output:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
    if not expected.exists():
        pytest.fail(f"`apt-get install -y {package}` succeeded but {expected} is missing.")
