"""Checks that the model parameters name models that build offline.

ultralytics downloads any weights or model file that it cannot find locally, and timm
downloads pretrained weights, so these checks accept only local files and the model
definitions that ship with the libraries.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from mlops.offline import configure_offline_environment

# Arguments of ultralytics' model.train() that the train_yolo node sets itself.
YOLO_NODE_TRAIN_ARGUMENTS = frozenset(
    {
        "data",
        "epochs",
        "imgsz",
        "batch",
        "device",
        "seed",
        "deterministic",
        "patience",
        "workers",
        "amp",
        "project",
        "name",
        "exist_ok",
        "plots",
        "verbose",
    }  # fmt: skip
)
# model.train() arguments that would replace the model that yolo.model or yolo.weights set.
YOLO_MODEL_TRAIN_ARGUMENTS = frozenset({"model", "cfg", "resume"})


def yolo_model_problems(params: Mapping[str, Any]) -> list[str]:
    """Return the problems of ``yolo.weights`` (a local file) or ``yolo.model`` (a yaml)."""
    weights = params.get("weights")
    if weights:
        if Path(str(weights)).is_file():
            return []
        return [
            f"yolo.weights is {weights!r}, which is not a file; point it at local YOLO "
            "weights, or set it to null to train yolo.model from scratch"
        ]
    model = str(params.get("model"))
    if "://" in model or not model.endswith((".yaml", ".yml")):
        return [
            f"yolo.model is {model!r}; expected a model yaml such as yolov8n.yaml (nothing is "
            "downloaded). To start from weights, set yolo.weights to a local .pt file"
        ]
    if not _yolo_yaml_resolves(model):
        return [
            f"yolo.model is {model!r}, which is neither a local file nor a model yaml that "
            "ships with ultralytics (such as yolov8n.yaml or yolo11n.yaml); fix the name or "
            "point it at a local model yaml"
        ]
    return []


def yolo_train_args_problems(params: Mapping[str, Any]) -> list[str]:
    """Return the problems of ``yolo.train_args``, the extra ``model.train()`` arguments."""
    configure_offline_environment()
    from ultralytics.cfg import DEFAULT_CFG_DICT

    train_args = params.get("train_args", {})
    if not isinstance(train_args, Mapping):
        return [f"yolo.train_args is {train_args!r}; expected a mapping of model.train() arguments"]
    problems = []
    for key in sorted(train_args):
        if key in YOLO_NODE_TRAIN_ARGUMENTS:
            problems.append(
                f"yolo.train_args.{key} is set by the train_yolo node itself (from the yolo "
                "parameters or the catalog); remove it from train_args"
            )
        elif key in YOLO_MODEL_TRAIN_ARGUMENTS:
            problems.append(f"yolo.train_args.{key} is not allowed; set yolo.model or yolo.weights")
        elif key not in DEFAULT_CFG_DICT:
            problems.append(
                f"yolo.train_args.{key} is not an argument of ultralytics' model.train(); "
                "see ultralytics' cfg/default.yaml for the valid arguments"
            )
    pretrained = train_args.get("pretrained")
    if isinstance(pretrained, str) and not Path(pretrained).is_file():
        problems.append(
            f"yolo.train_args.pretrained is {pretrained!r}, which is not a local file; "
            "ultralytics would download it, so point it at local weights or remove it"
        )
    return problems


def efficientnet_model_problems(params: Mapping[str, Any]) -> list[str]:
    """Return the problems of the timm ``architecture``, ``pretrained`` and ``checkpoint``."""
    problems = _architecture_problems(params.get("architecture"))
    pretrained = params.get("pretrained", False)
    checkpoint = params.get("checkpoint")
    if not isinstance(pretrained, bool):
        problems.append(f"efficientnet.pretrained is {pretrained!r}; expected true or false")
    if checkpoint and not Path(str(checkpoint)).is_file():
        problems.append(
            f"efficientnet.checkpoint is {checkpoint!r}, which is not a file. Point it at a "
            "local checkpoint, or set it to null to train from scratch"
        )
    if pretrained is True and not checkpoint:
        problems.append(
            "efficientnet.pretrained is true but efficientnet.checkpoint is null: pretrained "
            "weights would need a download, and nothing is downloaded. Set "
            "efficientnet.checkpoint to a local checkpoint file, or set pretrained to false"
        )
    return problems


def _yolo_yaml_resolves(model: str) -> bool:
    configure_offline_environment()
    from ultralytics.nn.tasks import yaml_model_load

    # The name has no "://", so ultralytics only searches its own cfg folder for it.
    try:
        yaml_model_load(model)
    except (OSError, ValueError, yaml.YAMLError):
        return False
    return True


def _architecture_problems(architecture: Any) -> list[str]:
    import timm

    if not isinstance(architecture, str):
        return [f"efficientnet.architecture is {architecture!r}; expected a timm model name"]
    # A pretrained tag ("efficientnet_b0.ra_in1k") names weights, not another architecture.
    name = architecture.split(".", 1)[0]
    known = timm.list_models()
    if name in known:
        return []
    matches = difflib.get_close_matches(name, known, n=5)
    hint = f"close matches: {', '.join(matches)}" if matches else "see timm.list_models()"
    return [f"efficientnet.architecture is {architecture!r}, which timm does not know ({hint})"]
