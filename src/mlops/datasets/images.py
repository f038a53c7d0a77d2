"""Image data sets on disk: an ImageFolder tree and an Ultralytics detection data set.

Both are folders of PNG files that training libraries read themselves, so ``load`` checks
the layout and returns the path to hand to them, and ``save`` writes generated images.
A save goes to a temporary folder that is renamed into place when complete, so an
interrupted run leaves no half-written data set behind.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import yaml
from kedro.io import AbstractDataset, DatasetError

SPLITS = ("train", "val")


def _write_png(array: np.ndarray, path: Path) -> None:
    from PIL import Image

    Image.fromarray(array).save(path, format="PNG")


def _move_into_place(built: Path, target: Path) -> None:
    # Generated data never replaces a folder with content: it may hold the user's files.
    if target.exists() and any(target.iterdir()):
        raise DatasetError(
            f"Cannot write generated images to '{target}': the folder is not empty. "
            "Delete it, or point the catalog entry at a new folder."
        )
    if target.exists():
        target.rmdir()
    built.rename(target)


def _temporary_sibling(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))


class ImageFolderDataset(AbstractDataset):
    """Image classification data in the ImageFolder layout: ``<split>/<class>/<image>``.

    Saving takes ``{split: {class_name: [uint8 arrays]}}`` and writes PNG files. Loading
    checks that the ``train`` and ``val`` folders exist and returns the root folder path.
    """

    def __init__(self, path: str, metadata: dict[str, Any] | None = None) -> None:
        """Create the dataset.

        Args:
            path: Root folder, with one folder per split.
            metadata: Free-form metadata, ignored by Kedro.
        """
        self._path = Path(path)
        self.metadata = metadata

    def load(self) -> str:
        missing = [split for split in SPLITS if not (self._path / split).is_dir()]
        if missing:
            raise DatasetError(
                f"Image folder '{self._path}' has no {missing} folder. Expected the layout "
                "<root>/train/<class>/<image> and <root>/val/<class>/<image>."
            )
        return str(self._path)

    def save(self, data: dict[str, dict[str, list[np.ndarray]]]) -> None:
        built = _temporary_sibling(self._path)
        try:
            for split, classes in data.items():
                for class_name, images in classes.items():
                    folder = built / split / class_name
                    folder.mkdir(parents=True)
                    for index, image in enumerate(images):
                        _write_png(image, folder / f"{index:05d}.png")
            _move_into_place(built, self._path)
        finally:
            shutil.rmtree(built, ignore_errors=True)

    def _exists(self) -> bool:
        return (self._path / "train").is_dir()

    def _describe(self) -> dict[str, Any]:
        return {"path": PurePosixPath(self._path).as_posix()}


class YOLODatasetFolder(AbstractDataset):
    """Object detection data in the Ultralytics layout, described by its ``data.yaml``.

    The folder contains ``images/<split>/*.png``, ``labels/<split>/*.txt`` (one
    ``class x_center y_center width height`` line per box, normalised to [0, 1]) and
    ``data.yaml``. Saving takes ``{"names": [...], "train": [(image, boxes)], "val": [...]}``.
    Loading checks ``data.yaml`` and returns its path, which ultralytics trains from.
    """

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        """Create the dataset.

        Args:
            filepath: Path of ``data.yaml``; the data set is the folder around it.
            metadata: Free-form metadata, ignored by Kedro.
        """
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> str:
        try:
            description = yaml.safe_load(self._filepath.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise DatasetError(f"Cannot read YOLO data set file '{self._filepath}': {exc}") from exc
        missing = [key for key in ("train", "val", "names") if key not in (description or {})]
        if missing:
            raise DatasetError(
                f"YOLO data set file '{self._filepath}' lacks the keys {missing}. It needs "
                "`train` and `val` image folders and the class `names`."
            )
        return str(self._filepath)

    def save(self, data: dict[str, Any]) -> None:
        root = self._filepath.parent
        built = _temporary_sibling(root)
        try:
            for split in SPLITS:
                self._write_split(built, split, data[split])
            description = {
                "train": "images/train",
                "val": "images/val",
                "names": dict(enumerate(data["names"])),
            }
            (built / self._filepath.name).write_text(yaml.safe_dump(description), encoding="utf-8")
            _move_into_place(built, root)
        finally:
            shutil.rmtree(built, ignore_errors=True)

    @staticmethod
    def _write_split(root: Path, split: str, samples: list[tuple[np.ndarray, list]]) -> None:
        images, labels = root / "images" / split, root / "labels" / split
        images.mkdir(parents=True)
        labels.mkdir(parents=True)
        for index, (image, boxes) in enumerate(samples):
            _write_png(image, images / f"{index:05d}.png")
            lines = [
                f"{int(box[0])} " + " ".join(f"{value:.6f}" for value in box[1:]) for box in boxes
            ]
            (labels / f"{index:05d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": PurePosixPath(self._filepath).as_posix()}
