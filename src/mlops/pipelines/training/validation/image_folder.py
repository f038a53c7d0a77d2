"""Checks of the ImageFolder tree that the classifier trains on: ``<root>/<split>/<class>/*``.

Which files count follows torchvision's ImageFolder: each visible subfolder of a split is
a class, and its files with an image suffix (``CLASSIFICATION_IMAGE_SUFFIXES``, in any
subfolder) are its images. Two kinds of files are skipped, by these checks and by the
training loader alike:

- Hidden files and folders (names that start with a dot, such as ``.DS_Store`` or
  ``.ipynb_checkpoints``) are skipped silently. torchvision would make a hidden folder a
  class, and would try to decode a hidden ``._image.png`` that macOS writes.
- Other files (no image suffix, or not inside a class folder) are listed in one WARNING
  and then ignored, as torchvision ignores them. Notes and annotation files next to the
  images are common, so they do not stop training, but the warning shows images in a
  format that torchvision does not read, such as ``.gif``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.pipelines.training.validation.checkpoint import check_checkpoint_fits
from mlops.pipelines.training.validation.config import check_efficientnet_params
from mlops.pipelines.training.validation.errors import (
    MAX_LISTED_PROBLEMS,
    raise_data_problems,
)
from mlops.pipelines.training.validation.image_files import (
    CLASSIFICATION_IMAGE_SUFFIXES,
    is_classification_image,
    read_image_header,
)

logger = logging.getLogger(__name__)

SPLITS = ("train", "val")
IMAGE_FOLDER_FIX = (
    "Fix or delete the files listed, keep at least 2 classes with the same class folders "
    "in train and val, then run again."
)


@dataclass
class SplitScan:
    """Contents of one split folder: image counts per class, problems and ignored files."""

    image_counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def validate_classification_images(image_root: str, params: dict[str, Any]) -> str:
    """Check the ImageFolder tree and the ``efficientnet`` parameters before training.

    Args:
        image_root: Folder with ``train/<class>/*`` and ``val/<class>/*`` images.
        params: ``efficientnet`` parameters.

    Returns:
        ``image_root``, for the training node.

    Raises:
        TrainingConfigError: If a parameter is invalid, or the checkpoint does not fit
            the architecture with the data's number of classes.
        DataValidationError: Listing every problem of the tree: a class folder without
            images, an image that PIL cannot read, val classes that differ from train,
            fewer than 2 classes.
    """
    check_efficientnet_params(params)
    root = Path(image_root)
    scans = {split: scan_split(root / split) for split in SPLITS}
    _warn_ignored(root, [line for scan in scans.values() for line in scan.ignored])
    problems = [line for scan in scans.values() for line in scan.problems]
    raise_data_problems(
        f"Image folder '{root}'", problems + _class_problems(root, scans), IMAGE_FOLDER_FIX
    )

    classes = len(scans["train"].image_counts)
    check_checkpoint_fits(params, classes)
    logger.info(
        "Image folder '%s' is valid: %d classes, %d train and %d val images",
        root, classes, sum(scans["train"].image_counts.values()),
        sum(scans["val"].image_counts.values()),
    )  # fmt: skip
    return image_root


def list_class_names(split_dir: Path) -> list[str]:
    """Return the sorted names of the visible subfolders of ``split_dir``: the classes."""
    return sorted(
        entry.name
        for entry in os.scandir(split_dir)
        if entry.is_dir() and not entry.name.startswith(".")
    )


def scan_split(split_dir: Path) -> SplitScan:
    """Count and verify the images of each class folder of one split."""
    scan = SplitScan()
    if not split_dir.is_dir():
        scan.problems.append(
            f"{split_dir}: folder not found; expected class folders with images in it"
        )
        return scan
    for entry in sorted(split_dir.iterdir()):
        if entry.is_file() and not entry.name.startswith("."):
            scan.ignored.append(f"{entry} (not inside a class folder)")
    for name in list_class_names(split_dir):
        scan.image_counts[name] = _scan_class_folder(split_dir / name, split_dir, scan)
    return scan


def _scan_class_folder(class_dir: Path, split_dir: Path, scan: SplitScan) -> int:
    images = 0
    for folder, subfolders, files in os.walk(class_dir, followlinks=True):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if name.startswith("."):
                continue
            if not is_classification_image(path, split_dir):
                scan.ignored.append(f"{path} (not an image suffix)")
                continue
            header = read_image_header(path)
            if isinstance(header, str):
                scan.problems.append(f"{path}: {header}")
            images += 1
    if images == 0:
        scan.problems.append(
            f"{class_dir}: class folder contains no images "
            f"({', '.join(CLASSIFICATION_IMAGE_SUFFIXES)}); add images or delete the folder"
        )
    return images


def _class_problems(root: Path, scans: dict[str, SplitScan]) -> list[str]:
    train, val = (set(scans[split].image_counts) for split in SPLITS)
    if not (root / "train").is_dir():
        return []
    if len(train) < 2:
        return [
            f"{root / 'train'}: has {len(train)} class folders {sorted(train)}; a classifier "
            "needs at least 2"
        ]
    if not (root / "val").is_dir() or train == val:
        return []
    return [
        f"{root / 'val'}: its classes differ from train: missing in val {sorted(train - val)}, "
        f"not in train {sorted(val - train)}; val needs the same class folders as train"
    ]


def _warn_ignored(root: Path, ignored: list[str]) -> None:
    if not ignored:
        return
    listed = ignored[:MAX_LISTED_PROBLEMS]
    if len(ignored) > MAX_LISTED_PROBLEMS:
        listed.append(f"... and {len(ignored) - MAX_LISTED_PROBLEMS} more")
    logger.warning(
        "Ignoring %d files in image folder '%s' that the classifier does not read (images "
        "need one of the suffixes %s):\n%s",
        len(ignored), root, ", ".join(CLASSIFICATION_IMAGE_SUFFIXES), "\n".join(listed),
    )  # fmt: skip
