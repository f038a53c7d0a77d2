"""Figures of training results, saved and logged to the run through the catalog."""

from __future__ import annotations

from typing import Any


def plot_confusion_matrix(predictions: dict[str, Any]):
    """Draw the confusion matrix of validation predictions, with counts in the cells.

    Args:
        predictions: ``predicted`` and ``expected`` class indices and ``class_names``.

    Returns:
        A matplotlib figure: true classes as rows, predicted classes as columns.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    names = predictions["class_names"]
    figure, axes = plt.subplots(figsize=(6, 6))
    ConfusionMatrixDisplay.from_predictions(
        predictions["expected"],
        predictions["predicted"],
        labels=list(range(len(names))),
        display_labels=names,
        cmap="Blues",
        colorbar=False,
        ax=axes,
    )
    axes.set_title("Validation confusion matrix")
    figure.tight_layout()
    return figure
