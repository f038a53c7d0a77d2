"""An Ultralytics YOLO detector trained from its model yaml, or from local weights."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from mlops.pipelines.training.devices import ultralytics_device
from mlops.pipelines.training.validation.config import check_yolo_params
from mlops.pipelines.training.validation.errors import raise_config_problems
from mlops.pipelines.training.validation.models import yolo_model_problems

logger = logging.getLogger(__name__)

# results.csv column -> per-epoch metric name (logged as yolo.<name>, one step per epoch).
HISTORY_COLUMNS = {
    "train/box_loss": "train_box_loss",
    "train/cls_loss": "train_cls_loss",
    "train/dfl_loss": "train_dfl_loss",
    "val/box_loss": "val_box_loss",
    "val/cls_loss": "val_cls_loss",
    "val/dfl_loss": "val_dfl_loss",
    "metrics/precision(B)": "val_precision",
    "metrics/recall(B)": "val_recall",
    "metrics/mAP50(B)": "val_map50",
    "metrics/mAP50-95(B)": "val_map50_95",
    "lr/pg0": "lr",
}
# trainer.metrics key -> final metric name, measured on the best weights after training.
FINAL_METRICS = {
    "metrics/precision(B)": "precision",
    "metrics/recall(B)": "recall",
    "metrics/mAP50(B)": "map50",
    "metrics/mAP50-95(B)": "map50_95",
}
PLOT_FILES = {"confusion_matrix": "confusion_matrix.png", "pr_curve": "BoxPR_curve.png"}


def _provide_plot_fonts() -> None:
    """Copy matplotlib's DejaVu Sans where ultralytics looks for its plot fonts.

    ultralytics downloads Arial.ttf into its settings folder the first time it plots, so
    a machine without internet access would try and fail. DejaVu Sans ships with
    matplotlib and covers the same characters for plot labels.
    """
    import matplotlib
    from ultralytics.utils import USER_CONFIG_DIR

    source = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        target = USER_CONFIG_DIR / name
        if not target.exists():
            shutil.copyfile(source, target)


def _remove_mlflow_callbacks(trainer: Any) -> None:
    """Drop ultralytics' own MLflow callbacks from ``trainer``.

    When the ultralytics setting ``mlflow`` is on, they log every trainer argument as an
    unprefixed parameter and copy the run folder into the session run. This node logs
    namespaced ``yolo.*`` metrics and the chosen artifacts through the catalog instead.
    """
    for event, callbacks in trainer.callbacks.items():
        trainer.callbacks[event] = [
            callback
            for callback in callbacks
            if getattr(callback, "__module__", "") != "ultralytics.utils.callbacks.mlflow"
        ]


def _log_epoch(trainer: Any) -> None:
    # ultralytics calls on_fit_epoch_end once more after its final validation.
    if trainer.epoch + 1 > trainer.epochs:
        return
    values = {
        **trainer.label_loss_items(trainer.tloss, prefix="train"),
        **(trainer.metrics or {}),
        **trainer.lr,
    }
    logger.info(
        "YOLO epoch %d/%d: box %.4f cls %.4f dfl %.4f, val mAP50 %.4f mAP50-95 %.4f, lr %.2e",
        trainer.epoch + 1, trainer.epochs,
        *(values.get(key, float("nan")) for key in (
            "train/box_loss", "train/cls_loss", "train/dfl_loss",
            "metrics/mAP50(B)", "metrics/mAP50-95(B)", "lr/pg0",
        )),
    )  # fmt: skip


def _model_source(params: dict[str, Any]) -> str:
    """Return the local weights or the model yaml to build the model from.

    ultralytics downloads any model file that it cannot find locally, so this raises a
    ``TrainingConfigError`` unless ``weights`` is a local file or ``model`` is a model
    yaml that resolves offline.
    """
    raise_config_problems("yolo", yolo_model_problems(params))
    return str(params["weights"]) if params.get("weights") else str(params["model"])


def _load_model(params: dict[str, Any]):
    source = _model_source(params)
    # Set before ultralytics is imported: no usage events, no online checks.
    os.environ.setdefault("YOLO_OFFLINE", "1")
    from ultralytics import YOLO

    model = YOLO(source, task="detect")
    model.add_callback("on_pretrain_routine_start", _remove_mlflow_callbacks)
    model.add_callback("on_fit_epoch_end", _log_epoch)
    return model


def _read_outputs(save_dir: Path, trainer_metrics: dict[str, float]):
    results = pd.read_csv(save_dir / "results.csv")
    results.columns = [column.strip() for column in results.columns]
    metrics: dict[str, Any] = {
        name: float(trainer_metrics[key]) for key, name in FINAL_METRICS.items()
    }
    metrics["epochs_trained"] = len(results)
    if "time" in results:
        # ultralytics writes the elapsed training time at the end of each epoch.
        elapsed = [float(value) for value in results["time"]]
        starts = [0.0, *elapsed[:-1]]
        metrics["epoch_seconds"] = [end - start for start, end in zip(starts, elapsed, strict=True)]
    for column, name in HISTORY_COLUMNS.items():
        if column in results:
            metrics[name] = [float(value) for value in results[column]]
    plots = _read_plots(save_dir)
    weights = (save_dir / "weights" / "best.pt").read_bytes()
    return weights, metrics, results, plots


def _read_plots(save_dir: Path) -> dict[str, Any]:
    from PIL import Image

    plots = {}
    for name, filename in PLOT_FILES.items():
        path = save_dir / filename
        if not path.exists():
            raise FileNotFoundError(
                f"ultralytics wrote no {filename} in {save_dir}, although training ran "
                "with plots=True. Check that the installed ultralytics version is supported."
            )
        with Image.open(path) as image:
            plots[name] = image.copy()
    return plots


def _train_arguments(data_yaml: str, params: dict[str, Any], project_dir: str) -> dict[str, Any]:
    """Return the ``model.train()`` arguments that the node sets; ``train_args`` adds others."""
    return {
        "data": data_yaml,
        "epochs": params["epochs"],
        "imgsz": params["imgsz"],
        "batch": params["batch"],
        "device": ultralytics_device(params["device"]),
        "seed": params["seed"],
        "deterministic": True,
        "patience": params["patience"],
        "workers": params["workers"],
        "amp": params["amp"],
        "project": project_dir,
        "name": "train",
        "exist_ok": True,
        "plots": True,
        "verbose": False,
    }


def train_yolo(
    data_yaml: str, params: dict[str, Any]
) -> tuple[bytes, dict[str, Any], pd.DataFrame, Any, Any]:
    """Train a YOLO detector with ultralytics on the data set described by ``data_yaml``.

    Args:
        data_yaml: Path of the Ultralytics ``data.yaml``.
        params: ``yolo`` parameters: ``model`` (yaml) or ``weights`` (local ``.pt``), the
            training budget and ``device``.

    Returns:
        The best weights (``best.pt`` bytes), the metrics (final ``precision``,
        ``recall``, ``map50``, ``map50_95`` on the validation split and per-epoch
        histories, ``epoch_seconds`` among them), ultralytics' ``results.csv`` table,
        and the confusion matrix and precision-recall curve images.

    Raises:
        TrainingConfigError: If a ``yolo`` parameter is invalid. The data set itself is
            checked by the ``validate_detection_dataset`` node that runs before this one.
    """
    check_yolo_params(params)
    model = _load_model(params)
    _provide_plot_fonts()
    with tempfile.TemporaryDirectory(prefix="yolo-train-") as project_dir:
        model.train(
            **_train_arguments(data_yaml, params, project_dir),
            **params.get("train_args", {}),
        )
        trainer = model.trainer
        weights, metrics, results, plots = _read_outputs(Path(trainer.save_dir), trainer.metrics)
    logger.info(
        "YOLO validation: mAP50 %.4f, mAP50-95 %.4f, precision %.4f, recall %.4f",
        metrics["map50"], metrics["map50_95"], metrics["precision"], metrics["recall"],
    )  # fmt: skip
    return weights, metrics, results, plots["confusion_matrix"], plots["pr_curve"]
