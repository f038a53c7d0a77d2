"""A timm image classifier (EfficientNet by default) trained with a plain PyTorch loop.

The loop: AdamW, a per-step cosine learning-rate schedule, augmentation that keeps digits
readable (small affine moves, no flips), best-epoch selection on validation top-1 and
early stopping. The checkpoint it returns carries everything needed to rebuild the model.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from mlops.pipelines.training.devices import resolve_torch_device
from mlops.pipelines.training.validation.checkpoint import (
    CheckpointFit,
    create_classifier,
    fit_checkpoint,
)
from mlops.pipelines.training.validation.config import check_efficientnet_params
from mlops.pipelines.training.validation.image_files import is_classification_image
from mlops.pipelines.training.validation.image_folder import list_class_names
from mlops.registry.pyfunc.image_input import image_to_tensor

logger = logging.getLogger(__name__)


@dataclass
class EpochResult:
    """Losses, accuracy, learning rate and training throughput of one epoch."""

    train_loss: float
    val_loss: float
    val_top1: float
    lr: float
    samples_per_second: float


def _image_folder(split_dir: Path, transform):
    """Return torchvision's ImageFolder for one split, reading the files that validation checks.

    Hidden class folders and files are skipped, and classes are listed as
    ``list_class_names`` lists them (see the ``validation.image_folder`` module).
    """
    from torchvision import datasets

    class VisibleImageFolder(datasets.ImageFolder):
        def find_classes(self, directory):
            classes = list_class_names(Path(directory))
            return classes, {name: index for index, name in enumerate(classes)}

    return VisibleImageFolder(
        str(split_dir),
        transform=transform,
        is_valid_file=partial(is_classification_image, root=split_dir),
    )


def _build_loaders(image_root: str, params: dict[str, Any]):
    import torch
    from torchvision import transforms

    def preprocess(image):
        return image_to_tensor(
            image, params["in_chans"], params["image_size"], params["mean"], params["std"]
        )

    augment = transforms.RandomAffine(**params["augmentation"])
    root = Path(image_root)
    train_set = _image_folder(root / "train", transforms.Compose([augment, preprocess]))
    val_set = _image_folder(root / "val", preprocess)
    generator = torch.Generator().manual_seed(params["seed"])
    loader_args = {"batch_size": params["batch_size"], "num_workers": params["workers"]}
    train_loader = torch.utils.data.DataLoader(
        train_set, shuffle=True, generator=generator, **loader_args
    )
    val_loader = torch.utils.data.DataLoader(val_set, shuffle=False, **loader_args)
    return train_loader, val_loader, train_set.classes


@dataclass
class _Loop:
    """Model, optimiser and schedule of one training run, stepped one epoch at a time."""

    model: Any
    optimizer: Any
    scheduler: Any
    device: Any
    params: dict[str, Any]

    def train_epoch(self, loader, epoch: int) -> tuple[float, float]:
        """Train one epoch and log a progress line every ``log_interval`` steps.

        Returns:
            The mean training loss and the training samples per second.
        """
        import torch
        from tqdm.auto import tqdm

        self.model.train()
        criterion = torch.nn.CrossEntropyLoss(label_smoothing=self.params["label_smoothing"])
        total_loss, seen, started = 0.0, 0, time.perf_counter()
        steps = len(loader)
        progress = tqdm(loader, desc=f"epoch {epoch}", leave=False, disable=None)
        for step, (batch, labels) in enumerate(progress, start=1):
            loss = criterion(self.model(batch.to(self.device)), labels.to(self.device))
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            total_loss += loss.item() * len(labels)
            seen += len(labels)
            if step % self.params["log_interval"] == 0 or step == steps:
                logger.info(
                    "Train: %d [%d/%d] loss %.4f (%.4f) %.1f samples/s lr %.2e",
                    epoch, step, steps, loss.item(), total_loss / seen,
                    seen / (time.perf_counter() - started), self.optimizer.param_groups[0]["lr"],
                )  # fmt: skip
        return total_loss / seen, seen / (time.perf_counter() - started)

    def evaluate(self, loader) -> tuple[float, float, np.ndarray, np.ndarray]:
        """Return the validation loss, top-1 accuracy, predicted and expected classes."""
        import torch

        self.model.eval()
        losses, predictions, targets = [], [], []
        with torch.inference_mode():
            for batch, labels in loader:
                logits = self.model(batch.to(self.device))
                loss = torch.nn.functional.cross_entropy(logits, labels.to(self.device))
                losses.append(loss.item())
                predictions.append(logits.argmax(dim=1).cpu().numpy())
                targets.append(labels.numpy())
        predicted, expected = np.concatenate(predictions), np.concatenate(targets)
        return float(np.mean(losses)), float((predicted == expected).mean()), predicted, expected


def _create_model(params: dict[str, Any], num_classes: int):
    """Build the timm model, from scratch or from the local ``checkpoint`` file.

    A checkpoint's classifier of another size is left out, so a fresh head of
    ``num_classes`` trains, and its input convolution is adapted to ``in_chans``.
    Nothing is downloaded: without a checkpoint the weights are random.
    """
    model = create_classifier(params, num_classes)
    checkpoint = params.get("checkpoint")
    if not checkpoint:
        return model
    fit = fit_checkpoint(model, checkpoint, params["architecture"])
    model.load_state_dict(fit.state_dict, strict=False)
    _log_checkpoint_fit(checkpoint, fit, num_classes, params["in_chans"])
    return model


def _log_checkpoint_fit(
    checkpoint: str, fit: CheckpointFit, num_classes: int, in_chans: int
) -> None:
    if fit.checkpoint_classes:
        logger.warning(
            "Checkpoint '%s' has a classifier of %d classes but the data has %d classes; "
            "training a fresh classifier head",
            checkpoint, fit.checkpoint_classes, num_classes,
        )  # fmt: skip
    elif fit.checkpoint_classes == 0:
        logger.info(
            "Checkpoint '%s' has no classifier; training a fresh classifier head", checkpoint
        )
    if fit.checkpoint_in_chans:
        logger.info(
            "Adapted the first convolution of checkpoint '%s' from %d to %d input channels",
            checkpoint, fit.checkpoint_in_chans, in_chans,
        )  # fmt: skip
    logger.info("Loaded the weights of checkpoint '%s'", checkpoint)


def _cosine_schedule(optimizer, total_steps: int, warmup_steps: int):
    import torch

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _fit(loop: _Loop, train_loader, val_loader) -> tuple[dict[str, Any], list[EpochResult]]:
    """Run epochs until the budget or patience runs out; keep the best val top-1 epoch."""
    params = loop.params
    history: list[EpochResult] = []
    best: dict[str, Any] = {"top1": -1.0, "epoch": 0}
    for epoch in range(1, params["epochs"] + 1):
        lr = loop.optimizer.param_groups[0]["lr"]
        train_loss, samples_per_second = loop.train_epoch(train_loader, epoch)
        val_loss, top1, predicted, expected = loop.evaluate(val_loader)
        history.append(EpochResult(train_loss, val_loss, top1, lr, samples_per_second))
        logger.info("Epoch %d: val loss %.4f, val top-1 %.4f", epoch, val_loss, top1)
        if top1 > best["top1"]:
            state = {
                key: value.detach().cpu().clone() for key, value in loop.model.state_dict().items()
            }
            best = {"top1": top1, "epoch": epoch, "state": state,
                    "predicted": predicted, "expected": expected}  # fmt: skip
        elif epoch - best["epoch"] >= params["patience"]:
            logger.info("Early stopping: no better val top-1 for %d epochs", params["patience"])
            break
    return best, history


def train_efficientnet(
    image_root: str, params: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Train a timm classifier on an ImageFolder tree and keep its best epoch.

    Args:
        image_root: Folder with ``train/<class>/*`` and ``val/<class>/*`` images.
        params: ``efficientnet`` parameters (architecture, image size, budget, optimiser).

    Returns:
        The checkpoint of the best epoch, the metrics (``top1``, ``best_epoch`` and
        per-epoch histories, training ``samples_per_second`` among them), and the
        validation predictions of the best epoch (``predicted``, ``expected``,
        ``class_names``) for the confusion matrix.

    Raises:
        TrainingConfigError: If an ``efficientnet`` parameter is invalid, or the checkpoint
            does not fit the architecture. The images themselves are checked by the
            ``validate_classification_images`` node that runs before this one.
    """
    import torch

    check_efficientnet_params(params)
    torch.manual_seed(params["seed"])
    device = resolve_torch_device(params["device"])
    train_loader, val_loader, class_names = _build_loaders(image_root, params)
    model = _create_model(params, len(class_names)).to(device)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=params["lr"], weight_decay=params["weight_decay"]
    )
    steps_per_epoch = len(train_loader)
    scheduler = _cosine_schedule(
        optimizer,
        params["epochs"] * steps_per_epoch,
        round(params["warmup_epochs"] * steps_per_epoch),
    )
    logger.info(
        "Training %s on %d images of %d classes for up to %d epochs on %s",
        params["architecture"], len(train_loader.dataset), len(class_names),
        params["epochs"], device,
    )  # fmt: skip
    best, history = _fit(
        _Loop(model, optimizer, scheduler, device, params), train_loader, val_loader
    )

    checkpoint = {
        "architecture": params["architecture"],
        "class_names": list(class_names),
        "input_size": params["image_size"],
        "in_chans": params["in_chans"],
        "mean": list(params["mean"]),
        "std": list(params["std"]),
        "state_dict": best["state"],
        "epoch": best["epoch"],
    }
    metrics = {
        "top1": best["top1"],
        "best_epoch": best["epoch"],
        "train_loss": [result.train_loss for result in history],
        "val_loss": [result.val_loss for result in history],
        "val_top1": [result.val_top1 for result in history],
        "lr": [result.lr for result in history],
        "samples_per_second": [result.samples_per_second for result in history],
    }
    predictions = {
        "predicted": best["predicted"].tolist(),
        "expected": best["expected"].tolist(),
        "class_names": list(class_names),
    }
    return checkpoint, metrics, predictions
