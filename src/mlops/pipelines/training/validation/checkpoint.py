"""Fitting a local timm checkpoint to the classifier that the data calls for.

A checkpoint is a raw state dict or this project's checkpoint format (a dict with a
``state_dict`` key), loaded with ``torch.load(weights_only=True)``. Two differences are
adapted: a classifier head of another size is left out, so the model trains a fresh
head, and an input convolution with another channel count is converted with timm's
``adapt_input_conv``. Any other missing key, unexpected key or shape is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops.pipelines.training.validation.errors import (
    TrainingConfigError,
    count_problems,
    format_problems,
)


@dataclass(frozen=True)
class CheckpointFit:
    """A checkpoint's state dict, adapted to a model, and what the adaptation changed.

    Attributes:
        state_dict: The tensors to load with ``load_state_dict(strict=False)``.
        checkpoint_classes: The class count of the checkpoint's classifier when it differs
            from the model's (its head is left out), else None.
        checkpoint_in_chans: The input channels of the checkpoint's first convolution when
            they were adapted to the model's, else None.
    """

    state_dict: dict[str, Any]
    checkpoint_classes: int | None
    checkpoint_in_chans: int | None


def fit_checkpoint(model: Any, checkpoint: str | Path, architecture: str) -> CheckpointFit:
    """Adapt the checkpoint's state dict to ``model``, a freshly built timm model.

    Raises:
        TrainingConfigError: If the file does not load, or its keys or shapes do not fit
            the architecture beyond the classifier head and the input channels.
    """
    path = Path(checkpoint)
    saved = _load_checkpoint(path)
    state = _state_dict_of(saved, path)
    state, in_chans = _adapt_input_conv(state, model)
    state, classes = _leave_out_other_head(state, model)
    head_keys = set(_classifier_keys(model)) if classes is not None else set()
    problems = _mismatch_problems(state, model.state_dict(), head_keys)
    if problems:
        raise TrainingConfigError(
            _mismatch_message(problems, path, architecture, saved.get("architecture"))
        )
    return CheckpointFit(state, classes, in_chans)


def _load_checkpoint(path: Path) -> dict[str, Any]:
    import torch

    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types: pickle, zip and runtime errors
        raise TrainingConfigError(
            f"efficientnet.checkpoint '{path}' does not load with "
            f"torch.load(weights_only=True): {exc}. Point it at a timm state dict or at a "
            "checkpoint written by this project's training."
        ) from exc
    if not isinstance(saved, dict):
        raise TrainingConfigError(
            f"efficientnet.checkpoint '{path}' contains a {type(saved).__name__}, not a dict. "
            "Point it at a timm state dict or at a checkpoint written by this project."
        )
    return saved


def _state_dict_of(saved: dict[str, Any], path: Path) -> dict[str, Any]:
    import torch

    state = saved.get("state_dict", saved)
    if not isinstance(state, dict) or not all(
        isinstance(value, torch.Tensor) for value in state.values()
    ):
        raise TrainingConfigError(
            f"efficientnet.checkpoint '{path}' is neither a state dict of tensors nor a dict "
            f"with a 'state_dict' key (top-level keys: {sorted(saved)[:20]}). Point it at a "
            "timm state dict or at a checkpoint written by this project."
        )
    # Weights saved from torch.nn.DataParallel carry a "module." prefix.
    return {key.removeprefix("module."): value for key, value in state.items()}


def _first_conv_key(model: Any) -> str | None:
    first_conv = model.pretrained_cfg.get("first_conv")
    if isinstance(first_conv, list | tuple):
        first_conv = first_conv[0] if first_conv else None
    return f"{first_conv}.weight" if first_conv else None


def _classifier_keys(model: Any) -> list[str]:
    head = model.get_classifier()
    name = next(name for name, module in model.named_modules() if module is head)
    return [f"{name}.{key}" for key in head.state_dict()]


def _adapt_input_conv(state: dict[str, Any], model: Any) -> tuple[dict[str, Any], int | None]:
    from timm.models import adapt_input_conv

    key = _first_conv_key(model)
    expected = model.state_dict().get(key) if key else None
    weight = state.get(key) if key else None
    if expected is None or weight is None or weight.ndim != 4 or expected.ndim != 4:
        return state, None
    saved_chans, model_chans = weight.shape[1], expected.shape[1]
    if saved_chans == model_chans:
        return state, None
    adapted = adapt_input_conv(model_chans, weight, base_chans=saved_chans)
    return {**state, key: adapted}, saved_chans


def _leave_out_other_head(state: dict[str, Any], model: Any) -> tuple[dict[str, Any], int | None]:
    keys = _classifier_keys(model)
    expected = model.state_dict()
    if not all(key in state for key in keys):
        # A checkpoint without a head (saved with num_classes=0): the head starts fresh.
        return {k: v for k, v in state.items() if k not in keys}, 0
    if all(state[key].shape == expected[key].shape for key in keys):
        return state, None
    classes = int(state[keys[0]].shape[0])
    return {k: v for k, v in state.items() if k not in keys}, classes


def _mismatch_problems(
    state: dict[str, Any], expected: dict[str, Any], head_keys: set[str]
) -> list[str]:
    problems = [
        f"missing key {key}" for key in expected if key not in state and key not in head_keys
    ]
    problems += [f"unexpected key {key}" for key in state if key not in expected]
    problems += [
        f"{key}: shape {tuple(value.shape)} in the checkpoint, {tuple(expected[key].shape)} "
        "in the model"
        for key, value in state.items()
        if key in expected and value.shape != expected[key].shape
    ]
    return problems


def _mismatch_message(
    problems: list[str], path: Path, architecture: str, saved_architecture: Any
) -> str:
    saved = f" (saved for {saved_architecture})" if saved_architecture else ""
    summary = (
        f"efficientnet.checkpoint '{path}'{saved} does not fit the architecture "
        f"{architecture!r} ({count_problems(problems)}):"
    )
    fix = (
        f"Point efficientnet.checkpoint at a checkpoint of {architecture}, or set "
        "efficientnet.architecture to the architecture the checkpoint was saved from."
    )
    return format_problems(summary, problems, fix)


def create_classifier(params: dict[str, Any], num_classes: int) -> Any:
    """Build the timm model of ``efficientnet.architecture`` with random weights."""
    import timm

    return timm.create_model(
        params["architecture"],
        pretrained=False,
        num_classes=num_classes,
        in_chans=params["in_chans"],
        drop_rate=params["drop_rate"],
    )


def check_checkpoint_fits(params: dict[str, Any], num_classes: int) -> None:
    """Raise a ``TrainingConfigError`` unless ``efficientnet.checkpoint`` fits the model.

    The model is the architecture with ``num_classes`` outputs and ``in_chans`` inputs,
    as training builds it. Without a checkpoint there is nothing to check.
    """
    if params.get("checkpoint"):
        model = create_classifier(params, num_classes)
        fit_checkpoint(model, params["checkpoint"], params["architecture"])
