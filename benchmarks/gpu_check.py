"""Compare CPU and GPU training speed of the YOLO and EfficientNet nodes, ci-sized.

The script writes the ci data set in a temporary copy of the project, then calls the
training node functions directly, first with ``device: cpu`` and then with
``device: auto`` (CUDA when PyTorch detects a GPU). It prints a Markdown table of YOLO
seconds per epoch and EfficientNet training samples per second. Without a GPU it
measures the CPU only and prints a line about it.

Usage:
    .venv/bin/python benchmarks/gpu_check.py [--epochs 2]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from compare import copy_project
from plain_script import load_parameters


def train_both(project: Path, device: str, epochs: int) -> dict[str, float]:
    """Train YOLO and EfficientNet on ``device``; return their median training speed."""
    from mlops.pipelines.training.efficientnet import train_efficientnet
    from mlops.pipelines.training.yolo import train_yolo

    params = load_parameters(project, "ci")
    yolo = {**params["yolo"], "device": device, "epochs": epochs, "patience": epochs}
    efficientnet = {**params["efficientnet"], "device": device, "epochs": epochs,
                    "patience": epochs}  # fmt: skip
    data = project / "data" / "01_raw"
    _, yolo_metrics, *_ = train_yolo(str(data / "digits_detection_ci" / "data.yaml"), yolo)
    _, net_metrics, _ = train_efficientnet(str(data / "digits_classification"), efficientnet)
    return {
        "yolo_epoch_seconds": statistics.median(yolo_metrics["epoch_seconds"]),
        "efficientnet_samples_per_second": statistics.median(net_metrics["samples_per_second"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="epochs of each training")
    arguments = parser.parse_args()

    from mlops.offline import configure_offline_environment

    configure_offline_environment()  # as `kedro run` does: nothing is downloaded
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    with tempfile.TemporaryDirectory(prefix="mlops-gpu-check-") as folder:
        project = Path(folder)
        copy_project(project)
        subprocess.run(
            [sys.executable, "-m", "kedro", "run", "--env", "ci", "--pipeline", "data_preparation"],
            cwd=project, check=True, capture_output=True,
        )  # fmt: skip
        results = {"cpu": train_both(project, "cpu", arguments.epochs)}
        if gpu:
            results[gpu] = train_both(project, "auto", arguments.epochs)

    lines = ["| device | YOLO s/epoch | EfficientNet samples/s |", "|---|---|---|"]
    for device, speed in results.items():
        lines.append(
            f"| {device} | {speed['yolo_epoch_seconds']:.2f} "
            f"| {speed['efficientnet_samples_per_second']:.0f} |"
        )
    if not gpu:
        lines.append("\nNo GPU: PyTorch sees no CUDA device, so only the CPU was measured.")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
