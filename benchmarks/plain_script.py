"""The project's training and registration written as one plain script, without Kedro.

This is the baseline that ``benchmarks/compare.py`` times against ``kedro run``. It trains
the three models on the data that ``kedro run`` wrote, with the same parameters and
seeds, calling xgboost, ultralytics, timm and torch directly. It logs namespaced params
and metrics into one MLflow run and registers each model with the same MLflow flavors
as the project's registry nodes. The script does none of the project's data validation,
plots, dataset inputs, lineage tags or promotion.

Usage:
    python benchmarks/plain_script.py --project DIR --env ci --tracking-uri sqlite:///plain.db \\
        --timings timings.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from importlib import metadata
from pathlib import Path

# Offline, as `kedro run` is: no telemetry, no online checks or downloads by ultralytics
# and huggingface_hub. These must be set before the libraries are imported.
for _name, _value in (
    ("MLFLOW_DISABLE_TELEMETRY", "true"),
    ("YOLO_OFFLINE", "1"),
    ("HF_HUB_OFFLINE", "1"),
    ("HF_HUB_DISABLE_TELEMETRY", "1"),
):
    os.environ.setdefault(_name, _value)

import mlflow  # noqa: E402
import yaml  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
PYFUNC_DIR = REPO_ROOT / "src" / "mlops" / "registry" / "pyfunc"
EXPERIMENT = "plain-script"


def load_parameters(project: Path, env: str) -> dict:
    """Return the training parameters as Kedro merges them: ``env`` replaces base's keys."""
    params = yaml.safe_load((project / "conf/base/parameters_training.yml").read_text())
    override = project / "conf" / env / "parameters_training.yml"
    if env != "base" and override.exists():
        params |= yaml.safe_load(override.read_text())
    return params


def requirements(*packages: str) -> list[str]:
    return [f"{package}=={metadata.version(package)}" for package in packages]


def log_params(prefix: str, params: dict) -> None:
    flat = {}
    for key, value in params.items():
        if isinstance(value, dict):
            flat |= {f"{prefix}.{key}.{inner}": item for inner, item in value.items()}
        else:
            flat[f"{prefix}.{key}"] = value
    mlflow.log_params(flat)


def train_xgboost(project: Path, params: dict) -> dict:
    """Fit and evaluate XGBoost; log it with the xgboost flavor and register it."""
    import pandas as pd
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from xgboost import XGBClassifier

    table = pd.read_csv(project / "data/01_raw/breast_cancer.csv")
    train, test = train_test_split(
        table,
        test_size=params["test_size"],
        random_state=params["seed"],
        stratify=table[params["target"]],
    )
    features, target = train.drop(columns=[params["target"]]), train[params["target"]]
    model = XGBClassifier(**params["model"], random_state=params["seed"])
    started = time.perf_counter()
    model.fit(features, target)
    fit_seconds = time.perf_counter() - started

    probabilities = model.predict_proba(test.drop(columns=[params["target"]]))[:, 1]
    log_params("xgboost", params)
    mlflow.log_metric("xgboost.roc_auc", roc_auc_score(test[params["target"]], probabilities))
    info = mlflow.xgboost.log_model(
        model,
        name="xgboost",
        model_format="json",
        signature=mlflow.models.infer_signature(features),
        pip_requirements=requirements("mlflow", "xgboost", "scikit-learn", "pandas", "numpy"),
    )
    mlflow.register_model(info.model_uri, "xgboost")
    return {"xgboost.fit_seconds": fit_seconds}


def _drop_mlflow_callbacks(trainer) -> None:
    # ultralytics' MLflow callback would log unprefixed params into this run and end it.
    for event, callbacks in trainer.callbacks.items():
        trainer.callbacks[event] = [
            callback
            for callback in callbacks
            if getattr(callback, "__module__", "") != "ultralytics.utils.callbacks.mlflow"
        ]


def train_yolo(project: Path, params: dict, data_yaml: Path) -> dict:
    """Train YOLO with ultralytics; log best.pt as a pyfunc detector and register it."""
    import pandas as pd
    from PIL import Image
    from ultralytics import YOLO

    model = YOLO(params["model"], task="detect")
    model.add_callback("on_pretrain_routine_start", _drop_mlflow_callbacks)
    device = None if params["device"] == "auto" else str(params["device"])
    with tempfile.TemporaryDirectory(prefix="plain-yolo-") as folder:
        model.train(
            data=str(data_yaml), epochs=params["epochs"], imgsz=params["imgsz"],
            batch=params["batch"], device=device, seed=params["seed"], deterministic=True,
            patience=params["patience"], workers=params["workers"], amp=params["amp"],
            project=folder, name="train", exist_ok=True, plots=True, verbose=False,
            **params.get("train_args", {}),
        )  # fmt: skip
        save_dir = Path(model.trainer.save_dir)
        results = pd.read_csv(save_dir / "results.csv")
        results.columns = [column.strip() for column in results.columns]
        log_params("yolo", params)
        mlflow.log_metric("yolo.map50", float(model.trainer.metrics["metrics/mAP50(B)"]))
        mlflow.log_artifact(str(save_dir / "results.csv"), "yolo")
        mlflow.log_artifact(str(save_dir / "confusion_matrix.png"), "yolo")
        mlflow.log_artifact(str(save_dir / "BoxPR_curve.png"), "yolo")

        example = _png_bytes(Image.new("L", (128, 128)))
        info = mlflow.pyfunc.log_model(
            name="yolo",
            python_model=str(PYFUNC_DIR / "yolo_model.py"),
            artifacts={"weights": str(save_dir / "weights" / "best.pt")},
            code_paths=[str(PYFUNC_DIR / "image_input.py")],
            model_config={"yolo": {"imgsz": 128, "conf": 0.25}},
            input_example=pd.DataFrame({"image": [example]}),
            pip_requirements=requirements(
                "mlflow", "ultralytics", "torch", "torchvision", "pillow", "pandas", "numpy"
            ),
        )
    mlflow.register_model(info.model_uri, "yolo")
    # results.csv's time column is the elapsed training time at the end of each epoch.
    return {"yolo.epoch_seconds": float(results["time"].diff().fillna(results["time"]).median())}


def _png_bytes(image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _image_loaders(root: Path, params: dict):
    import torch
    from torchvision import datasets, transforms

    preprocess = [
        transforms.Grayscale(params["in_chans"]),
        transforms.Resize((params["image_size"], params["image_size"])),
        transforms.ToTensor(),
        transforms.Normalize(params["mean"], params["std"]),
    ]
    train_set = datasets.ImageFolder(
        str(root / "train"),
        transforms.Compose([transforms.RandomAffine(**params["augmentation"]), *preprocess]),
    )
    val_set = datasets.ImageFolder(str(root / "val"), transforms.Compose(preprocess))
    generator = torch.Generator().manual_seed(params["seed"])
    train_loader = torch.utils.data.DataLoader(
        train_set, batch_size=params["batch_size"], shuffle=True, generator=generator,
        num_workers=params["workers"],
    )  # fmt: skip
    val_loader = torch.utils.data.DataLoader(
        val_set, batch_size=params["batch_size"], num_workers=params["workers"]
    )
    return train_loader, val_loader, train_set.classes


def _train_epoch(model, loader, optimizer, scheduler, criterion) -> tuple[float, float]:
    """Train one epoch; return the mean loss and the samples per second."""
    model.train()
    total, seen, started = 0.0, 0, time.perf_counter()
    for images, labels in loader:
        loss = criterion(model(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total += loss.item() * len(labels)
        seen += len(labels)
    return total / seen, seen / (time.perf_counter() - started)


def _top1(model, loader) -> float:
    import torch

    model.eval()
    correct = seen = 0
    with torch.inference_mode():
        for images, labels in loader:
            correct += int((model(images).argmax(dim=1) == labels).sum())
            seen += len(labels)
    return correct / seen


def train_efficientnet(project: Path, params: dict) -> dict:
    """Train the timm classifier with a plain loop; log it as a pyfunc and register it."""
    import pandas as pd
    import timm
    import torch
    from PIL import Image

    torch.manual_seed(params["seed"])
    train_loader, val_loader, classes = _image_loaders(
        project / "data/01_raw/digits_classification", params
    )
    model = timm.create_model(
        params["architecture"], pretrained=False, num_classes=len(classes),
        in_chans=params["in_chans"], drop_rate=params["drop_rate"],
    )  # fmt: skip
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=params["lr"], weight_decay=params["weight_decay"]
    )
    total_steps = params["epochs"] * len(train_loader)
    warmup = round(params["warmup_epochs"] * len(train_loader))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: (
            (step + 1) / warmup
            if step < warmup
            else 0.5
            * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total_steps - warmup))))
        ),
    )
    criterion = torch.nn.CrossEntropyLoss(label_smoothing=params["label_smoothing"])

    best_top1, best_state, since_best, rates = -1.0, None, 0, []
    for _ in range(params["epochs"]):
        _, samples_per_second = _train_epoch(model, train_loader, optimizer, scheduler, criterion)
        rates.append(samples_per_second)
        top1 = _top1(model, val_loader)
        if top1 > best_top1:
            best_top1, best_state, since_best = top1, model.state_dict(), 0
        else:
            since_best += 1
            if since_best >= params["patience"]:
                break

    log_params("efficientnet", params)
    mlflow.log_metric("efficientnet.top1", best_top1)
    checkpoint = {
        "architecture": params["architecture"], "class_names": classes,
        "input_size": params["image_size"], "in_chans": params["in_chans"],
        "mean": params["mean"], "std": params["std"], "state_dict": best_state,
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="plain-efficientnet-") as folder:
        path = Path(folder) / "efficientnet.pt"
        torch.save(checkpoint, path)
        example = _png_bytes(Image.new("L", (params["image_size"], params["image_size"])))
        info = mlflow.pyfunc.log_model(
            name="efficientnet",
            python_model=str(PYFUNC_DIR / "efficientnet_model.py"),
            artifacts={"checkpoint": str(path)},
            code_paths=[str(PYFUNC_DIR / "image_input.py")],
            input_example=pd.DataFrame({"image": [example]}),
            pip_requirements=requirements(
                "mlflow", "timm", "torch", "torchvision", "pillow", "pandas", "numpy"
            ),
        )
    mlflow.register_model(info.model_uri, "efficientnet")
    return {"efficientnet.samples_per_second": sorted(rates)[len(rates) // 2]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, required=True, help="folder with conf/ and data/")
    parser.add_argument("--env", default="ci", help="Kedro environment whose parameters to use")
    parser.add_argument("--tracking-uri", required=True, help="MLflow tracking URI")
    parser.add_argument("--timings", type=Path, required=True, help="JSON file for the timings")
    args = parser.parse_args()

    params = load_parameters(args.project, args.env)
    detection = "digits_detection_ci" if args.env == "ci" else "digits_detection"
    mlflow.set_tracking_uri(args.tracking_uri)
    mlflow.set_experiment(EXPERIMENT)
    timings = {}
    with mlflow.start_run(run_name="plain-script"):
        timings |= train_efficientnet(args.project, params["efficientnet"])
        timings |= train_yolo(
            args.project, params["yolo"], args.project / "data/01_raw" / detection / "data.yaml"
        )
        timings |= train_xgboost(args.project, params["xgboost"])
    args.timings.write_text(json.dumps(timings, indent=2))


if __name__ == "__main__":
    main()
