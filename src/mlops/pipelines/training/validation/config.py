"""Checks of the training parameters (``conf/*/parameters_training.yml``), one per model.

Each ``check_*_params`` collects every invalid value of its model before it raises one
``TrainingConfigError`` that lists them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlops.pipelines.training.devices import DeviceError, check_device
from mlops.pipelines.training.validation.errors import raise_config_problems
from mlops.pipelines.training.validation.models import (
    efficientnet_model_problems,
    yolo_model_problems,
    yolo_train_args_problems,
)

TASKS = ("classification", "regression")
TEXT_COLUMN_RULES = ("reject", "category")
_MISSING = object()


@dataclass(frozen=True)
class Interval:
    """A range of accepted numbers, open or closed at each end."""

    low: float
    high: float = math.inf
    closed_low: bool = True
    closed_high: bool = False

    def contains(self, value: float) -> bool:
        """Return whether ``value`` lies in the range."""
        above = value >= self.low if self.closed_low else value > self.low
        below = value <= self.high if self.closed_high else value < self.high
        return above and below

    def __str__(self) -> str:
        if self.high == math.inf:
            return f"{'>=' if self.closed_low else '>'} {self.low:g}"
        left, right = "[" if self.closed_low else "(", "]" if self.closed_high else ")"
        return f"in {left}{self.low:g}, {self.high:g}{right}"


POSITIVE = Interval(0, closed_low=False)
NON_NEGATIVE = Interval(0)
FRACTION = Interval(0, 1, closed_low=False)  # (0, 1)
PROBABILITY = Interval(0, 1)  # [0, 1)


def check_xgboost_params(params: Mapping[str, Any]) -> None:
    """Raise a ``TrainingConfigError`` listing every invalid ``xgboost`` parameter."""
    problems = _choice_problems("xgboost", params, "task", TASKS)
    problems += _choice_problems("xgboost", params, "text_columns", TEXT_COLUMN_RULES, "reject")
    problems += _number_problems("xgboost", params, {"test_size": FRACTION})
    if not isinstance(params.get("target"), str) or not params.get("target"):
        problems.append(f"xgboost.target is {_show(params, 'target')}; expected a column name")
    model = params.get("model", {})
    if isinstance(model, Mapping):
        problems += _integer_problems("xgboost.model", model, {"n_estimators": 1}, optional=True)
        problems += _integer_problems("xgboost.model", model, {"max_depth": 0}, optional=True)
        problems += _number_problems(
            "xgboost.model", model, {"learning_rate": POSITIVE}, optional=True
        )
    else:
        problems.append(f"xgboost.model is {model!r}; expected a mapping of estimator arguments")
    raise_config_problems("xgboost", problems)


def check_yolo_params(params: Mapping[str, Any]) -> None:
    """Raise a ``TrainingConfigError`` listing every invalid ``yolo`` parameter.

    Besides the budget, the model source must resolve offline and ``train_args`` must be
    arguments of ultralytics' ``model.train()`` that the node does not set itself.
    """
    problems = _integer_problems("yolo", params, {"epochs": 1, "imgsz": 1})
    problems += _integer_problems("yolo", params, {"patience": 0, "workers": 0})
    problems += _yolo_batch_problems(params)
    problems += _device_problems("yolo", params)
    problems += yolo_model_problems(params)
    problems += yolo_train_args_problems(params)
    raise_config_problems("yolo", problems)


def check_efficientnet_params(params: Mapping[str, Any]) -> None:
    """Raise a ``TrainingConfigError`` listing every invalid ``efficientnet`` parameter.

    Besides the budget and the optimiser, the architecture must be a timm model, the
    normalisation must have one value per input channel, and pretrained weights must come
    from a local ``checkpoint``.
    """
    problems = _integer_problems(
        "efficientnet", params, {"epochs": 1, "image_size": 1, "batch_size": 1, "in_chans": 1}
    )
    problems += _integer_problems(
        "efficientnet", params, {"patience": 0, "workers": 0, "log_interval": 1}
    )
    problems += _number_problems(
        "efficientnet", params,
        {"lr": POSITIVE, "weight_decay": NON_NEGATIVE, "warmup_epochs": NON_NEGATIVE,
         "label_smoothing": PROBABILITY, "drop_rate": PROBABILITY},
    )  # fmt: skip
    problems += _normalisation_problems(params)
    problems += _augmentation_problems(params.get("augmentation", {}))
    problems += _device_problems("efficientnet", params)
    problems += efficientnet_model_problems(params)
    raise_config_problems("efficientnet", problems)


def _show(params: Mapping[str, Any], key: str) -> str:
    value = params.get(key, _MISSING)
    return "missing" if value is _MISSING else repr(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _integer_problems(
    section: str, params: Mapping[str, Any], minimums: dict[str, int], optional: bool = False
) -> list[str]:
    problems = []
    for key, minimum in minimums.items():
        if optional and key not in params:
            continue
        value = params.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            problems.append(
                f"{section}.{key} is {_show(params, key)}; expected an integer >= {minimum}"
            )
    return problems


def _number_problems(
    section: str, params: Mapping[str, Any], ranges: dict[str, Interval], optional: bool = False
) -> list[str]:
    problems = []
    for key, interval in ranges.items():
        if optional and key not in params:
            continue
        value = params.get(key)
        if not _is_number(value) or not interval.contains(value):
            problems.append(
                f"{section}.{key} is {_show(params, key)}; expected a number {interval}"
            )
    return problems


def _choice_problems(
    section: str, params: Mapping[str, Any], key: str, choices: tuple[str, ...], default: Any = None
) -> list[str]:
    if params.get(key, default) in choices:
        return []
    return [f"{section}.{key} is {_show(params, key)}; expected one of {list(choices)}"]


def _yolo_batch_problems(params: Mapping[str, Any]) -> list[str]:
    batch = params.get("batch")
    if isinstance(batch, bool) or not _is_number(batch):
        valid = False
    elif isinstance(batch, int):
        valid = batch >= 1 or batch == -1
    else:
        valid = 0 < batch < 1
    if valid:
        return []
    return [
        f"yolo.batch is {_show(params, 'batch')}; expected an integer >= 1, or -1 or a "
        "fraction in (0, 1) of the GPU memory for ultralytics' AutoBatch"
    ]


def _device_problems(section: str, params: Mapping[str, Any]) -> list[str]:
    try:
        check_device(params.get("device", "auto"))
    except DeviceError as exc:
        return [f"{section}.device: {exc}"]
    return []


def _normalisation_problems(params: Mapping[str, Any]) -> list[str]:
    problems = []
    for key in ("mean", "std"):
        values = params.get(key)
        if not isinstance(values, list | tuple) or not all(_is_number(v) for v in values):
            problems.append(
                f"efficientnet.{key} is {_show(params, key)}; expected a list of numbers"
            )
        elif len(values) != params.get("in_chans"):
            problems.append(
                f"efficientnet.{key} has {len(values)} values; expected one per input channel "
                f"(efficientnet.in_chans is {_show(params, 'in_chans')})"
            )
    std = params.get("std")
    if isinstance(std, list | tuple) and any(_is_number(v) and v <= 0 for v in std):
        problems.append(f"efficientnet.std is {std!r}; expected numbers > 0")
    return problems


def _augmentation_problems(augmentation: Any) -> list[str]:
    from torchvision import transforms

    if not isinstance(augmentation, Mapping):
        return [f"efficientnet.augmentation is {augmentation!r}; expected a mapping"]
    try:
        transforms.RandomAffine(**augmentation)
    except (TypeError, ValueError) as exc:
        return [
            f"efficientnet.augmentation is {dict(augmentation)!r}, which torchvision's "
            f"RandomAffine rejects: {exc}"
        ]
    return []
