"""Nodes that build the project's default data sets from data shipped with scikit-learn."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_digits

from mlops.pipelines.data_preparation.digits import (
    CLASS_NAMES,
    DetectionSample,
    build_classification_set,
    build_detection_set,
)


def create_breast_cancer_table() -> pd.DataFrame:
    """Build the breast-cancer Wisconsin table that ships with scikit-learn.

    Returns:
        569 rows of 30 numeric features and a ``target`` column (0 malignant, 1 benign).
    """
    return load_breast_cancer(as_frame=True).frame


def create_digit_classification_set(
    params: dict[str, Any],
) -> dict[str, dict[str, list[np.ndarray]]]:
    """Upscale the 1,797 UCI handwritten digits into an ImageFolder train/val split.

    Args:
        params: ``image_size`` in pixels, ``val_fraction`` and ``seed``.

    Returns:
        ``{split: {class_name: [uint8 grayscale images]}}`` for ``train`` and ``val``.
    """
    digits = load_digits()
    return build_classification_set(digits.images, digits.target, **params)


def create_digit_detection_set(params: dict[str, Any]) -> dict[str, Any]:
    """Paste UCI handwritten digits onto canvases, one YOLO box per digit.

    Args:
        params: Canvas size, canvas counts, digits per canvas, digit sizes and ``seed``.

    Returns:
        ``{"names": class names, "train": [(canvas, boxes)], "val": [...]}``.
    """
    digits = load_digits()
    splits: dict[str, list[DetectionSample]] = build_detection_set(
        digits.images, digits.target, **params
    )
    return {"names": list(CLASS_NAMES), **splits}
