"""Measure what Kedro and kedro-mlflow cost against the raw libraries, in one invocation.

Measures, each against its target:

1. Orchestration overhead: wall time of ``kedro run`` against ``benchmarks/plain_script.py``
   (the same training and registration without Kedro), the two alternated in each repeat.
2. Start-up: ``kedro run --pipeline registry`` with no model files, alternated with a
   script that only imports MLflow and opens and ends a run in a SQLite store.
3. Registration cost: one ``register_model_file`` call while the registered model contains
   1, 100 and 500 versions (SQLite store).
4. Peak memory of ``kedro run`` (resident memory of the process tree, sampled).
5. Training throughput inside the nodes against the plain script: YOLO seconds per epoch,
   EfficientNet training samples per second, XGBoost fit seconds.

Everything runs in a temporary copy of the project, with its own data and stores. The
default budgets are the ``ci`` environment's, so the script takes about 10 minutes on
two cores. ``--full`` runs the default ``kedro run`` and its parameters instead.

Usage:
    .venv/bin/python benchmarks/compare.py [--full] [--repeats 3] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import psutil

REPO_ROOT = Path(__file__).resolve().parents[1]
PLAIN_SCRIPT = REPO_ROOT / "benchmarks" / "plain_script.py"
PACKAGES = ("kedro", "kedro-mlflow", "mlflow", "torch", "ultralytics", "timm", "xgboost")
REGISTRATION_LEVELS = (1, 100, 500)
NO_HEAVY_IMPORTS = (
    "none (torch, ultralytics, timm, xgboost and matplotlib are imported by the nodes "
    "that use them)"
)
MLFLOW_ONLY = """
import sys, mlflow
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("startup")
with mlflow.start_run():
    pass
"""


@dataclass
class Measured:
    """Wall seconds and peak resident bytes of repeated runs of one command."""

    seconds: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)

    def add(self, seconds: float, peak: int) -> None:
        self.seconds.append(seconds)
        self.peaks.append(peak)


def progress(message: str) -> None:
    sys.stderr.write(f"{message}\n")
    sys.stderr.flush()


def copy_project(target: Path) -> None:
    """Copy what ``kedro run`` needs into ``target``: configuration and project metadata."""
    shutil.copytree(REPO_ROOT / "conf", target / "conf", ignore=shutil.ignore_patterns("local"))
    (target / "conf" / "local").mkdir()
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy(REPO_ROOT / name, target / name)
    (target / "src").mkdir()


def tree_rss(process: psutil.Process) -> int:
    """Return the resident memory, in bytes, of a process and all its children."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def run_measured(command: list[str], cwd: Path, log: Path) -> tuple[float, int]:
    """Run ``command``; return its wall seconds and the peak resident memory of its tree.

    Raises:
        RuntimeError: If the command fails; the message ends with its last log lines.
    """
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as stream:
        process = subprocess.Popen(command, cwd=cwd, stdout=stream, stderr=subprocess.STDOUT)
        watched = psutil.Process(process.pid)
        peak = 0
        while process.poll() is None:
            try:
                peak = max(peak, tree_rss(watched))
            except psutil.NoSuchProcess:
                break
            time.sleep(0.05)
        process.wait()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        tail = log.read_text(encoding="utf-8")[-4000:]
        raise RuntimeError(
            f"{' '.join(command)} failed with exit code {process.returncode}:\n{tail}"
        )
    return seconds, peak


def kedro_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "kedro", "run", *arguments]


def run_plain(project: Path, env: str, timings_file: Path) -> tuple[float, int]:
    """Run the plain script on the project's data, with its own SQLite store."""
    command = [
        sys.executable, str(PLAIN_SCRIPT), "--project", str(project), "--env", env,
        "--tracking-uri", f"sqlite:///{project / 'plain.db'}", "--timings", str(timings_file),
    ]  # fmt: skip
    return run_measured(command, project, project / "plain.log")


def measure_overhead(project: Path, env: str, repeats: int) -> dict:
    """Alternate ``kedro run`` and the plain script; collect wall time, memory, throughput."""
    kedro, plain = Measured(), Measured()
    plain_timings: list[dict] = []
    for repeat in range(repeats):
        timings_file = project / f"plain_timings_{repeat}.json"
        runs = {
            "kedro": lambda: kedro.add(
                *run_measured(kedro_command("--env", env), project, project / "kedro.log")
            ),
            "plain": lambda file=timings_file: plain.add(*run_plain(project, env, file)),
        }
        # Alternate which side goes first, so that a drift of the machine hits both.
        for name in ("kedro", "plain") if repeat % 2 == 0 else ("plain", "kedro"):
            runs[name]()
        plain_timings.append(json.loads(timings_file.read_text()))
        progress(
            f"repeat {repeat + 1}/{repeats}: kedro {kedro.seconds[-1]:.1f} s, "
            f"plain {plain.seconds[-1]:.1f} s"
        )
    return {"kedro": kedro, "plain": plain, "plain_timings": plain_timings}


def node_throughput(project: Path, runs: int) -> list[dict]:
    """Return the throughput metrics of the last ``runs`` runs of ``kedro run``."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("mlops")
    found = client.search_runs(
        [experiment.experiment_id], order_by=["attributes.start_time DESC"], max_results=runs
    )[::-1]  # oldest first, in the order of the plain script's timings
    timings = []
    for run in found:
        history = {
            key: [point.value for point in client.get_metric_history(run.info.run_id, key)]
            for key in ("yolo.epoch_seconds", "efficientnet.samples_per_second")
        }
        timings.append(
            {
                "yolo.epoch_seconds": statistics.median(history["yolo.epoch_seconds"]),
                "efficientnet.samples_per_second": statistics.median(
                    history["efficientnet.samples_per_second"]
                ),
                "xgboost.fit_seconds": run.data.metrics["xgboost.fit_seconds"],
                "quality": {
                    key: run.data.metrics.get(key)
                    for key in ("xgboost.roc_auc", "yolo.map50", "efficientnet.top1")
                },
            }
        )
    return timings


def measure_startup(work: Path, repeats: int) -> dict:
    """Alternate ``kedro run --pipeline registry`` (no model files) and MLflow alone."""
    project = work / "startup"
    copy_project(project)
    store = f"sqlite:///{work / 'startup.db'}"
    mlflow_only = [sys.executable, "-c", MLFLOW_ONLY, store]
    registry = kedro_command("--pipeline", "registry")
    # The first runs create and migrate the SQLite stores, so they are not counted.
    run_measured(registry, project, project / "registry.log")
    run_measured(mlflow_only, work, work / "mlflow_only.log")
    kedro, baseline = Measured(), Measured()
    for repeat in range(repeats):
        pairs = [(kedro, registry, project), (baseline, mlflow_only, work)]
        for measured, command, cwd in pairs if repeat % 2 == 0 else pairs[::-1]:
            measured.add(*run_measured(command, cwd, cwd / "startup.log"))
    imported = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kedro", "run", "--pipeline", "registry"],
        cwd=project, capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    heavy = [
        name for name in ("torch", "ultralytics", "timm", "xgboost", "matplotlib")
        if f"| {name}\n" in imported
    ]  # fmt: skip
    return {"kedro": kedro, "mlflow": baseline, "heavy_imports": heavy}


def _tiny_xgboost_file(folder: Path):
    import numpy as np
    from xgboost import XGBClassifier

    from mlops.datasets.files import ModelFile, sha256_of

    rng = np.random.default_rng(0)
    model = XGBClassifier(n_estimators=2, max_depth=2).fit(rng.random((40, 3)), np.arange(40) % 2)
    path = folder / "xgboost.json"
    model.save_model(path)
    return ModelFile(path=str(path), sha256=sha256_of(path), model=model)


def measure_registration(work: Path, repeats: int) -> dict[int, list[float]]:
    """Time ``register_model_file`` as the registered model contains 1, 100 and 500 versions."""
    import mlflow

    from mlops.registry import PromotionGate, log_xgboost_model, register_model_file

    mlflow.set_tracking_uri(f"sqlite:///{work / 'registry.db'}")
    mlflow.set_experiment("registration")
    model_file = _tiny_xgboost_file(work)
    gate = PromotionGate.from_params(
        "xgboost", {"metric": "xgboost.roc_auc", "direction": "maximize", "min_value": 0.0}
    )
    client = mlflow.MlflowClient()
    seconds: dict[int, list[float]] = {}
    with mlflow.start_run() as run:
        info = log_xgboost_model(model_file, "filler")
        client.create_registered_model("benchmark")
        version_count = 0
        for level in REGISTRATION_LEVELS:
            # Filler versions are created directly: only the timed calls go through
            # the project's registration code.
            while version_count < level:
                client.create_model_version("benchmark", info.model_uri, run_id=run.info.run_id)
                version_count += 1
            seconds[level] = []
            for _ in range(repeats):
                started = time.perf_counter()
                register_model_file(
                    model_file, model_key="xgboost", registered_model_name="benchmark",
                    log_model=log_xgboost_model, metrics={"roc_auc": 0.9}, promotion=gate,
                )  # fmt: skip
                seconds[level].append(time.perf_counter() - started)
                version_count += 1
    return seconds


def median_range(values: list[float], unit: str = "s", digits: int = 2) -> str:
    return (
        f"{statistics.median(values):.{digits}f} {unit} "
        f"({min(values):.{digits}f}-{max(values):.{digits}f})"
    )


def pair_ratios(inside: list[float], outside: list[float]) -> list[float]:
    """Return the ratio of each repeat's pair, so that machine drift between repeats cancels."""
    return [first / second for first, second in zip(inside, outside, strict=True)]


def ratio_cells(ratios: list[float], target: float) -> str:
    verdict = "met" if statistics.median(ratios) <= target else "missed"
    return f"{median_range(ratios, '', 3)} | <= {target} | {verdict}"


def throughput_rows(node: list[dict], plain: list[dict]) -> list[str]:
    """Return the table rows that compare node and plain-script training throughput."""

    def values(timings, key):
        return [timing[key] for timing in timings]

    rows = []
    for key, label, higher_is_better in (
        ("yolo.epoch_seconds", "YOLO epoch time (s)", False),
        ("efficientnet.samples_per_second", "EfficientNet samples/s", True),
        ("xgboost.fit_seconds", "XGBoost fit time (s)", False),
    ):
        inside, outside = values(node, key), values(plain, key)
        # The ratio is the node's cost over the plain script's: time over time, or the
        # plain script's rate over the node's rate.
        ratios = pair_ratios(outside, inside) if higher_is_better else pair_ratios(inside, outside)
        rows.append(
            f"| {label} | {median_range(inside, '', 3)} | {median_range(outside, '', 3)} "
            f"| {ratio_cells(ratios, 1.05)} |"
        )
    return rows


def gpu_note() -> str:
    """Return the report's sentence about the GPUs of this machine."""
    import torch

    if not torch.cuda.is_available():
        return (
            "This machine has no GPU, so all numbers above are CPU numbers and the CPU/GPU "
            "comparison (`benchmarks/gpu_check.py`) was not run."
        )
    return (
        f"This machine has a GPU ({torch.cuda.get_device_name(0)}). `--env ci` trains on the "
        "CPU and the default run on the GPU (`device: auto`); `benchmarks/gpu_check.py` "
        "compares the two."
    )


def report(arguments, overhead: dict, node: list[dict], startup: dict, registration) -> str:
    """Return the Markdown report of all measures."""
    env = "local" if arguments.full else "ci"
    command = "kedro run" if arguments.full else "kedro run --env ci"
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in PACKAGES)
    kedro, plain = overhead["kedro"], overhead["plain"]
    peak = max(kedro.peaks)
    registration_medians = [statistics.median(values) for values in registration.values()]
    lines = [
        "# Benchmarks: the project against the raw libraries",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Command: `.venv/bin/python benchmarks/compare.py{' --full' if arguments.full else ''}"
        f" --repeats {arguments.repeats}` ({arguments.repeats} repeats, pairs alternated; "
        "median and min-max)",
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPU cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB memory",
        f"- Python {platform.python_version()}; {versions}",
        "",
        "## Orchestration overhead",
        "",
        f"`{command}` against `benchmarks/plain_script.py --env {env}`: the same data, "
        "parameters, seeds and registrations, in one MLflow run each. Beyond the plain "
        "script, the Kedro run validates the data, logs five plots, the dataset inputs and "
        "lineage tags, and applies the promotion gate.",
        "",
        "| | wall time | peak memory |",
        "|---|---|---|",
        f"| `{command}` | {median_range(kedro.seconds)} | {max(kedro.peaks) / 2**30:.2f} GiB |",
        f"| plain script | {median_range(plain.seconds)} | {max(plain.peaks) / 2**30:.2f} GiB |",
        "",
        "| measure | value (ratio per repeat) | target | |",
        "|---|---|---|---|",
        f"| wall time ratio, Kedro / plain | "
        f"{ratio_cells(pair_ratios(kedro.seconds, plain.seconds), 1.03)} |",
        f"| peak memory of `{command}` | {peak / 2**30:.2f} GiB | <= 3 GiB | "
        f"{'met' if peak <= 3 * 2**30 else 'missed'} |",
        "",
        "## Training throughput inside the nodes",
        "",
        "| measure | node | plain script | ratio per repeat (node cost) | target | |",
        "|---|---|---|---|---|---|",
        *throughput_rows(node, overhead["plain_timings"]),
        "",
        "## Start-up",
        "",
        "`kedro run --pipeline registry` in a project without model files: nothing to train, "
        "nothing to register, one MLflow run opened and closed. MLflow alone: a script that "
        "imports MLflow and opens and ends one run in a SQLite store.",
        "",
        "| command | wall time | target | |",
        "|---|---|---|---|",
        f"| `kedro run --pipeline registry` | {median_range(startup['kedro'].seconds)} | <= 3 s "
        f"| {'met' if statistics.median(startup['kedro'].seconds) <= 3 else 'missed'} |",
        f"| MLflow alone | {median_range(startup['mlflow'].seconds)} | | |",
        "",
        "Heavy libraries imported by that command: "
        f"{', '.join(startup['heavy_imports']) or NO_HEAVY_IMPORTS}.",
        "",
        "## Registration cost",
        "",
        "One `register_model_file` call (log an XGBoost model, register it, tag the version, "
        "apply the promotion gate) while the registered model contains N versions, in a SQLite "
        "store.",
        "",
        "| versions held | registration time | target |",
        "|---|---|---|",
        *(
            f"| {level} | {median_range(values)} | <= 0.5 s |"
            for level, values in registration.items()
        ),
        "",
        f"Flatness: the median at {REGISTRATION_LEVELS[-1]} versions is "
        f"{registration_medians[-1] / registration_medians[0]:.2f} times the median at "
        f"{REGISTRATION_LEVELS[0]}.",
    ]
    lines += ["", "## GPU", "", gpu_note()]
    if arguments.full:
        quality = node[0]["quality"]
        lines += ["", "## Model quality of the last `kedro run`", "", "| metric | value |"]
        lines += ["|---|---|", *(f"| {key} | {value:.4f} |" for key, value in quality.items())]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full", action="store_true", help="run the default kedro run instead of --env ci"
    )
    parser.add_argument("--repeats", type=int, default=3, help="repeats of each measure")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "benchmarks" / "RESULTS.md")
    arguments = parser.parse_args()
    env = "local" if arguments.full else "ci"

    with tempfile.TemporaryDirectory(prefix="mlops-benchmark-") as folder:
        work = Path(folder)
        project = work / "project"
        copy_project(project)
        progress("Warm-up: writing the data and creating the stores")
        run_measured(kedro_command("--env", env), project, project / "warmup.log")
        run_plain(project, env, project / "warmup_timings.json")
        overhead = measure_overhead(project, env, arguments.repeats)
        node = node_throughput(project, arguments.repeats)
        progress("Start-up")
        startup = measure_startup(work, max(arguments.repeats, 5))
        progress("Registration cost")
        registration = measure_registration(work, arguments.repeats)
        text = report(arguments, overhead, node, startup, registration)
    arguments.output.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
