"""Figures of training results, saved and logged to the run through the catalog.

Each function returns a matplotlib figure and leaves saving and closing it to the
catalog's ``matplotlib.MatplotlibDataset``. Figures are drawn with the Agg backend, so no
display is needed, and with matplotlib's bundled DejaVu fonts, so no font is downloaded.
"""

from __future__ import annotations

from typing import Any


def _pyplot():
    """Return ``matplotlib.pyplot`` on the Agg backend, which draws without a display."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion_matrix(predictions: dict[str, Any]):
    """Draw the confusion matrix of validation predictions, with counts in the cells.

    Args:
        predictions: ``predicted`` and ``expected`` class indices and ``class_names``.

    Returns:
        A matplotlib figure: true classes as rows, predicted classes as columns.
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    plt = _pyplot()
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


def plot_roc_curve(predictions: dict[str, Any]):
    """Draw the ROC curves of test predictions, with the AUC of each in the legend.

    A binary model gets one curve, with its second class as the positive class. A model
    of more classes gets one one-vs-rest curve per class.

    Args:
        predictions: ``expected`` labels, ``class_labels`` and ``probabilities``, one row
            per test row and one column per class, as ``predict_test_rows`` returns them.

    Returns:
        A matplotlib figure with false positive rate on x and true positive rate on y.
    """
    import numpy as np
    from sklearn.metrics import RocCurveDisplay

    plt = _pyplot()
    expected = np.asarray(predictions["expected"])
    probabilities = np.asarray(predictions["probabilities"], dtype=float)
    labels = list(predictions["class_labels"])
    positives = labels[1:] if len(labels) == 2 else labels
    figure, axes = plt.subplots(figsize=(6, 6))
    for label in positives:
        RocCurveDisplay.from_predictions(
            expected == label,
            probabilities[:, labels.index(label)],
            name=f"class {label}",
            ax=axes,
        )
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set_xlabel("False positive rate")
    axes.set_ylabel("True positive rate")
    axes.set_title(f"Test ROC curve ({len(expected)} rows)")
    axes.legend(loc="lower right")
    figure.tight_layout()
    return figure


def plot_predicted_vs_actual(predictions: dict[str, Any]):
    """Draw each test row's predicted value against its actual value.

    Points on the diagonal are exact predictions. The title gives the RMSE.

    Args:
        predictions: ``expected`` and ``predicted`` values, as ``predict_test_rows``
            returns them for a regression model.

    Returns:
        A matplotlib figure with actual values on x and predicted values on y.
    """
    import numpy as np

    plt = _pyplot()
    expected = np.asarray(predictions["expected"], dtype=float)
    predicted = np.asarray(predictions["predicted"], dtype=float)
    rmse = float(np.sqrt(np.mean((predicted - expected) ** 2)))
    low = float(min(expected.min(), predicted.min()))
    high = float(max(expected.max(), predicted.max()))
    figure, axes = plt.subplots(figsize=(6, 6))
    axes.scatter(expected, predicted, s=12, alpha=0.7, label="test rows")
    axes.plot([low, high], [low, high], linestyle="--", color="grey", label="predicted = actual")
    axes.set_xlabel("Actual value")
    axes.set_ylabel("Predicted value")
    axes.set_title(f"Test predictions ({len(expected)} rows, RMSE {rmse:.4g})")
    axes.legend(loc="upper left")
    figure.tight_layout()
    return figure


def plot_test_evaluation(predictions: dict[str, Any]) -> dict[str, Any]:
    """Draw the evaluation figure that fits the task of the test predictions.

    Args:
        predictions: Test predictions with their ``task``, as ``predict_test_rows``
            returns them.

    Returns:
        ``{"roc_curve.png": figure}`` for classification, or
        ``{"predicted_vs_actual.png": figure}`` for regression. The catalog saves each
        figure under its key, because a ROC curve needs class scores that a regression
        model does not produce.
    """
    if predictions["task"] == "classification":
        return {"roc_curve.png": plot_roc_curve(predictions)}
    return {"predicted_vs_actual.png": plot_predicted_vs_actual(predictions)}


def plot_feature_importance(gains: dict[str, float], top_n: int = 20):
    """Draw the ``top_n`` features of largest gain as horizontal bars, largest on top.

    Args:
        gains: Average gain of the splits on each feature, by feature name.
            Features that no split uses are absent.
        top_n: Maximum number of features drawn.

    Returns:
        A matplotlib figure with the gain on x and one bar per feature.
    """
    plt = _pyplot()
    ranked = sorted(gains.items(), key=lambda item: item[1], reverse=True)[:top_n]
    names = [name for name, _ in reversed(ranked)]
    values = [value for _, value in reversed(ranked)]
    figure, axes = plt.subplots(figsize=(7, 0.3 * len(ranked) + 1.5))
    axes.barh(names, values, color="tab:blue")
    axes.set_xlabel("Average gain per split")
    axes.set_ylabel("Feature")
    axes.set_title(f"Top {len(ranked)} of {len(gains)} features by gain")
    figure.tight_layout()
    return figure


def plot_training_curves(metrics: dict[str, Any]):
    """Draw the per-epoch losses and validation top-1 accuracy of a training run.

    Args:
        metrics: ``train_loss``, ``val_loss`` and ``val_top1`` lists, one value per
            epoch, and ``best_epoch`` (1-based), as ``train_efficientnet`` returns them.

    Returns:
        A matplotlib figure of two panels: the train and validation losses, and the
        validation top-1 accuracy. A dotted line marks the best epoch in both. The train
        loss includes label smoothing (``efficientnet.label_smoothing``) and the
        validation loss does not, so the train loss does not fall to 0.
    """
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    epochs = list(range(1, len(metrics["train_loss"]) + 1))
    figure, (loss_axes, top1_axes) = plt.subplots(1, 2, figsize=(11, 4.5))
    loss_axes.plot(epochs, metrics["train_loss"], marker="o", label="train loss")
    loss_axes.plot(epochs, metrics["val_loss"], marker="o", label="validation loss")
    loss_axes.set_ylabel("Cross-entropy loss")
    loss_axes.set_title("Loss per epoch")
    top1_axes.plot(
        epochs, metrics["val_top1"], marker="o", color="tab:green", label="validation top-1"
    )
    top1_axes.set_ylabel("Top-1 accuracy")
    top1_axes.set_ylim(0, 1)
    top1_axes.set_title("Validation top-1 accuracy per epoch")
    for axes in (loss_axes, top1_axes):
        axes.axvline(metrics["best_epoch"], linestyle=":", color="grey", label="best epoch")
        axes.set_xlabel("Epoch")
        axes.set_xlim(0.5, len(epochs) + 0.5)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        axes.legend()
    figure.tight_layout()
    return figure
