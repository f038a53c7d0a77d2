"""The ``device`` parameter shared by the YOLO and EfficientNet training nodes.

Accepted values: ``auto`` (CUDA when available, else CPU), ``cpu``, ``cuda``, ``cuda:N``,
and device indices such as ``0`` or ``0,1``. Several indices train YOLO on several GPUs
through ultralytics; the EfficientNet loop uses the first one.
"""

from __future__ import annotations

import re

_DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda|cuda:\d+|\d+(,\d+)*)$")


class DeviceError(ValueError):
    """A ``device`` parameter that names no usable device."""


def check_device(device: str | int) -> str:
    """Return ``device`` as a string after checking its form and CUDA availability."""
    import torch

    value = str(device).strip().replace(" ", "")
    if not _DEVICE_PATTERN.match(value):
        raise DeviceError(
            f"device is {device!r}; expected auto, cpu, cuda, cuda:N or GPU indices "
            "such as 0 or 0,1."
        )
    if value not in ("auto", "cpu") and not torch.cuda.is_available():
        raise DeviceError(
            f"device is {device!r} but CUDA is not available on this machine. "
            "Set device to auto or cpu."
        )
    return value


def resolve_torch_device(device: str | int):
    """Return the ``torch.device`` that ``device`` selects for a single-process loop."""
    import torch

    value = check_device(device)
    if value == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if value[0].isdigit():
        return torch.device(f"cuda:{value.split(',')[0]}")
    return torch.device(value)


def ultralytics_device(device: str | int) -> str | None:
    """Return the ``device`` argument for ultralytics: None lets it choose (``auto``)."""
    value = check_device(device)
    return None if value == "auto" else value
