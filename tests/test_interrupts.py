"""SIGINT and SIGTERM: the pipeline stops, its run ends KILLED, model files stay whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import mlflow
import pytest
from helpers import MODEL_PATHS, subprocess_env

from mlops.interrupts import InterruptHandler, PipelineInterrupted

# Kedro CLI arguments that keep a model training long enough to be interrupted, and the
# log line that shows its training loop is running.
TRAINING_RUNS = {
    "yolo": (["--tags", "yolo", "--params", "yolo.epochs=50"], "YOLO epoch 1/"),
    "efficientnet": (
        ["--tags", "efficientnet", "--params", "efficientnet.epochs=30"],
        "Train: 1 [",
    ),
}


def test_interrupt_handler_raises_pipeline_interrupted():
    handler = InterruptHandler()
    handler.install()
    try:
        with pytest.raises(PipelineInterrupted, match="interrupted by SIGTERM"):
            os.kill(os.getpid(), signal.SIGTERM)
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        handler.uninstall()


def test_interrupt_handler_reraises_swallowed_signal():
    handler = InterruptHandler()
    handler.install()
    try:
        try:
            os.kill(os.getpid(), signal.SIGINT)
        except PipelineInterrupted:
            pass  # a library that catches Exception
        with pytest.raises(PipelineInterrupted, match="SIGINT"):
            handler.raise_if_received()
    finally:
        handler.uninstall()


def _interrupt_kedro_run(project, args, marker, signum):
    """Start ``kedro run --env ci ARGS``, send ``signum`` once ``marker`` is logged."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kedro", "run", "--env", "ci", *args],
        cwd=project,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output, signalled = [], False
    for line in process.stdout:
        output.append(line)
        if not signalled and marker in line:
            process.send_signal(signum)
            signalled = True
    process.wait(timeout=300)
    return process.returncode, signalled, "".join(output)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
@pytest.mark.parametrize("model", ["yolo", "efficientnet"])
def test_kedro_run_interrupted_during_training(project, tracking, model, signum):
    good_file = project / MODEL_PATHS[model]
    good_file.write_bytes(b"weights of an earlier, complete training")
    args, marker = TRAINING_RUNS[model]

    returncode, signalled, output = _interrupt_kedro_run(project, args, marker, signum)

    assert signalled, output[-3000:]
    assert returncode != 0
    assert f"interrupted by {signal.Signals(signum).name}" in output
    [run] = tracking.search_runs([tracking.get_experiment_by_name("mlops").experiment_id])
    assert run.info.status == "KILLED"
    assert good_file.read_bytes() == b"weights of an earlier, complete training"
    leftovers = [path.name for path in good_file.parent.iterdir() if path.name.startswith(".")]
    assert leftovers == []
    assert mlflow.active_run() is None
