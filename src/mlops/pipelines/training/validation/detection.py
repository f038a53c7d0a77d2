"""Checks of a detection data set in the Ultralytics layout, described by its ``data.yaml``.

Paths resolve as in ultralytics 8.4's ``check_det_dataset``: ``train`` and ``val`` are
relative to the yaml's ``path`` key, or to the yaml's folder without one. Each is a
folder (searched recursively), a ``.txt`` file listing one image per line, or a list of
those. An image's label file is its path with the last ``/images/`` replaced by
``/labels/`` and the suffix replaced by ``.txt``.

Each label line is ``class x_center y_center width height``: an integer class id below
the number of classes, then coordinates normalised to [0, 1] by the image size, with a
positive width and height. An empty label file marks a background image (no objects).
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlops.offline import configure_offline_environment
from mlops.pipelines.training.validation.config import check_yolo_params
from mlops.pipelines.training.validation.errors import DataValidationError, raise_data_problems
from mlops.pipelines.training.validation.image_files import (
    DETECTION_IMAGE_SUFFIXES,
    ImageHeader,
    read_image_header,
)

logger = logging.getLogger(__name__)

SPLITS = ("train", "val")
LABEL_FIELDS = ("x_center", "y_center", "width", "height")
MIN_IMAGE_SIDE = 10  # ultralytics drops images with a side below 10 pixels
DETECTION_FIX = (
    "Fix the files and lines listed. Each label line must be `class x_center y_center width "
    "height`, with coordinates normalised to [0, 1]; an empty label file marks an image "
    "without objects."
)


@dataclass
class SplitCounts:
    """Images, boxes and background images (empty label files) of one split."""

    images: int = 0
    boxes: int = 0
    backgrounds: int = 0


def validate_detection_dataset(data_yaml: str, params: dict[str, Any]) -> str:
    """Check the detection data set and the ``yolo`` parameters before training.

    Args:
        data_yaml: Path of the Ultralytics ``data.yaml``.
        params: ``yolo`` parameters.

    Returns:
        ``data_yaml``, for the training node.

    Raises:
        TrainingConfigError: If a parameter is invalid or the model does not resolve
            offline.
        DataValidationError: Listing every problem of the data set: a ``train`` or
            ``val`` path that does not exist, a split without images, an unreadable
            image, an image without a label file, and each invalid label line.
    """
    check_yolo_params(params)
    path = Path(data_yaml)
    description = read_data_yaml(path)
    classes, problems = class_count(description, path)
    root = dataset_root(description, path)
    counts = {}
    for split in SPLITS:
        images, split_problems = list_split_images(description.get(split), root, path, split)
        counts[split], image_problems = check_split(images, classes)
        problems += split_problems + image_problems
    raise_data_problems(f"Detection data set '{path}'", problems, DETECTION_FIX)

    logger.info(
        "Detection data set '%s' is valid: %d classes; %s",
        path, classes,
        "; ".join(f"{split}: {c.images} images, {c.boxes} boxes, {c.backgrounds} without "
                  "objects" for split, c in counts.items()),
    )  # fmt: skip
    return data_yaml


def read_data_yaml(path: Path) -> dict[str, Any]:
    """Return the mapping in ``data.yaml``, or raise a ``DataValidationError`` without one."""
    try:
        description = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataValidationError(
            f"{path}: cannot be read as YAML: {exc}. Point the catalog at a valid data.yaml."
        ) from exc
    if not isinstance(description, dict):
        raise DataValidationError(
            f"{path}: contains {type(description).__name__}, not a mapping with the keys "
            "train, val and names. Point the catalog at a valid data.yaml."
        )
    return description


def class_count(description: dict[str, Any], path: Path) -> tuple[int, list[str]]:
    """Return the number of classes that ``names`` defines and the problems of ``names``."""
    names = description.get("names")
    if isinstance(names, list):
        count, problems = len(names), []
    elif isinstance(names, dict):
        count, problems = len(names), _names_key_problems(names, path)
    else:
        return 0, [f"{path}: names is {names!r}; expected a list of class names or {{id: name}}"]
    if count == 0:
        problems.append(f"{path}: names is empty; list at least one class name")
    nc = description.get("nc")
    if nc is not None and nc != count:
        problems.append(f"{path}: nc is {nc!r} but names has {count} entries; make them agree")
    return count, problems


def _names_key_problems(names: dict[Any, Any], path: Path) -> list[str]:
    try:
        keys = {int(key) for key in names}
    except (TypeError, ValueError):
        keys = set()
    if keys == set(range(len(names))):
        return []
    return [
        f"{path}: names has the class ids {sorted(names, key=str)}; expected the integers "
        f"0..{len(names) - 1}"
    ]


def dataset_root(description: dict[str, Any], path: Path) -> Path:
    """Return the folder that ``train`` and ``val`` are relative to.

    That is the yaml's ``path`` key, else the yaml's folder. A relative ``path`` is
    relative to the working directory and, if no such folder exists there, to
    ultralytics' datasets folder (the ``datasets_dir`` setting).
    """
    if not description.get("path"):
        return path.parent
    root = Path(str(description["path"]))
    if root.exists() or root.is_absolute():
        return root
    configure_offline_environment()
    from ultralytics.utils import DATASETS_DIR

    return (DATASETS_DIR / root).resolve()


def list_split_images(
    entry: Any, root: Path, path: Path, split: str
) -> tuple[list[Path], list[str]]:
    """Return the images of one split, and the problems of its paths."""
    if isinstance(entry, str):
        sources = [_resolve_split_path(root, entry)]
    elif isinstance(entry, list) and entry and all(isinstance(item, str) for item in entry):
        sources = [(root / item).resolve() for item in entry]
    else:
        return [], [f"{path}: {split} is {entry!r}; expected a folder, a .txt list or a list"]
    images, problems = [], []
    for source in sources:
        found, source_problems = _list_images(source, path, split)
        images += found
        problems += source_problems
    if not images and not problems:
        problems.append(
            f"{path}: {split} has no images in {[str(s) for s in sources]} (suffixes: "
            f"{', '.join(sorted(DETECTION_IMAGE_SUFFIXES))})"
        )
    return images, problems


def _resolve_split_path(root: Path, entry: str) -> Path:
    resolved = (root / entry).resolve()
    if not resolved.exists() and entry.startswith("../"):
        resolved = (root / entry[3:]).resolve()
    return resolved


def _is_detection_image(name: str) -> bool:
    return name.rpartition(".")[-1].lower() in DETECTION_IMAGE_SUFFIXES


def _list_images(source: Path, path: Path, split: str) -> tuple[list[Path], list[str]]:
    if source.is_dir():
        return _images_in_folder(source), []
    if source.is_file():
        return _images_in_list(source)
    return [], [f"{path}: {split} path '{source}' does not exist; fix {split} or `path`"]


def _images_in_folder(folder: Path) -> list[Path]:
    # As ultralytics' glob("**/*.*"): recursive, without hidden files and folders.
    images = []
    for parent, subfolders, files in os.walk(folder):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        images += [
            Path(parent) / name
            for name in sorted(files)
            if not name.startswith(".") and "." in name and _is_detection_image(name)
        ]
    return images


def _images_in_list(list_file: Path) -> tuple[list[Path], list[str]]:
    # As ultralytics: "./x" is relative to the list file, other relative paths to the cwd.
    try:
        lines = list_file.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        return [], [f"{list_file}: is not UTF-8 text ({exc}); list one image path per line"]
    images, problems = [], []
    for number, line in enumerate(lines, start=1):
        entry = line.strip()
        if not entry or not _is_detection_image(entry):
            continue
        image = list_file.parent / entry[2:] if entry.startswith("./") else Path(entry)
        if image.is_file():
            images.append(image)
        else:
            problems.append(f"{list_file}:{number}: image '{entry}' not found")
    return images, problems


def label_path(image: Path) -> Path:
    """Return the label file of ``image``: last ``/images/`` to ``/labels/``, ``.txt``."""
    images, labels = f"{os.sep}images{os.sep}", f"{os.sep}labels{os.sep}"
    return Path(labels.join(str(image).rsplit(images, 1)).rsplit(".", 1)[0] + ".txt")


def check_split(images: list[Path], classes: int) -> tuple[SplitCounts, list[str]]:
    """Verify each image and its label file, and return the split's counts and problems."""
    counts, problems = SplitCounts(images=len(images)), []
    for image in images:
        problems += _image_problems(image)
        label = label_path(image)
        if not label.is_file():
            problems.append(
                f"{image}: has no label file {label}; create an empty label file there if "
                "the image shows no objects (a background image)"
            )
            continue
        boxes, label_problems = check_label_file(label, classes)
        counts.boxes += boxes
        if boxes == 0 and not label_problems:
            counts.backgrounds += 1
        problems += label_problems
    return counts, problems


def _image_problems(image: Path) -> list[str]:
    header = read_image_header(image)
    if isinstance(header, str):
        return [f"{image}: {header}"]
    return _header_problems(image, header)


def _header_problems(image: Path, header: ImageHeader) -> list[str]:
    problems = []
    if min(header.width, header.height) < MIN_IMAGE_SIDE:
        problems.append(
            f"{image}: is {header.width}x{header.height} pixels; ultralytics needs at least "
            f"{MIN_IMAGE_SIDE} pixels per side"
        )
    if header.format.lower() not in DETECTION_IMAGE_SUFFIXES | {"jpeg2000"}:
        problems.append(
            f"{image}: is a {header.format} image, which ultralytics does not train on; "
            "convert it to PNG or JPEG"
        )
    return problems


def check_label_file(label: Path, classes: int) -> tuple[int, list[str]]:
    """Return the number of boxes in a label file and one problem per invalid line."""
    try:
        text = label.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return 0, [f"{label}: is not UTF-8 text ({exc}); write labels as plain text"]
    boxes, problems = 0, []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if fields:
            boxes += 1
            problems += [f"{label}:{number}: {p}" for p in label_line_problems(fields, classes)]
    return boxes, problems


def label_line_problems(fields: list[str], classes: int) -> list[str]:
    """Return the problems of one label line, split into fields."""
    if len(fields) != 5:
        return [f"has {len(fields)} fields; expected 5: class x_center y_center width height"]
    problems = _class_id_problems(fields[0], classes)
    for name, text in zip(LABEL_FIELDS, fields[1:], strict=True):
        value = _parse_number(text)
        if value is None:
            problems.append(f"{name} {text!r} is not a finite number")
        elif not 0 <= value <= 1:
            problems.append(f"{name} {text} is outside [0, 1]; normalise it by the image size")
        elif name in ("width", "height") and value <= 0:
            problems.append(f"{name} {text} is not positive; a box needs a width and height")
    return problems


def _class_id_problems(text: str, classes: int) -> list[str]:
    value = _parse_number(text)
    if value is None or not value.is_integer() or value < 0:
        return [f"class id {text!r} is not an integer >= 0"]
    # Without valid names (classes == 0) that problem is listed once, not on every line.
    if classes and value >= classes:
        return [
            f"class id {int(value)} is not below the number of classes ({classes}, from "
            "names in data.yaml)"
        ]
    return []


def _parse_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
