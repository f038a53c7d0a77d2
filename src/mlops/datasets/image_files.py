"""Encoded image files under a folder, loaded as bytes for models that decode them."""

from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath
from typing import Any

from kedro.io import AbstractDataset, DatasetError

logger = logging.getLogger(__name__)

# Formats that both Pillow and ultralytics read.
IMAGE_SUFFIXES = (".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")
_MAX_LISTED_FILES = 5


class ImageFilesDataset(AbstractDataset):
    """Image files under a folder, loaded as ``{relative_path: bytes}``.

    The folder is searched recursively. Keys are paths relative to it in POSIX form
    (``3/00012.png``), in sorted order. Files and folders whose name starts with a dot
    are skipped. Files with other suffixes than ``suffixes`` (compared in lower case) are
    skipped too, with one WARNING listing them. The bytes are not decoded, so a corrupt
    image fails in the model that decodes it. The dataset is read-only.

    NOTE: ``load`` reads every image into memory at once, which suits folders of up to
    some hundred megabytes.
    """

    def __init__(
        self,
        path: str,
        suffixes: list[str] | tuple[str, ...] = IMAGE_SUFFIXES,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Create the dataset.

        Args:
            path: The folder to search.
            suffixes: File name suffixes of the images to load, such as ``.png``.
            metadata: Free-form metadata, ignored by Kedro.
        """
        self._path = Path(path)
        self._suffixes = tuple(suffix.lower() for suffix in suffixes)
        self.metadata = metadata

    def load(self) -> dict[str, bytes]:
        self._check_folder()
        images, others = self._list_files()
        if others:
            listed = ", ".join(others[:_MAX_LISTED_FILES])
            if len(others) > _MAX_LISTED_FILES:
                listed += ", ..."
            logger.warning(
                "Skipped %d files in '%s' whose suffix is not one of %s: %s",
                len(others),
                self._path,
                ", ".join(self._suffixes),
                listed,
            )
        if not images:
            logger.warning("Image folder '%s' contains no image files", self._path)
        return {name: (self._path / name).read_bytes() for name in images}

    def save(self, data: Any) -> None:
        raise DatasetError(
            f"ImageFilesDataset '{self._path}' is read-only. Copy the images into the "
            "folder yourself."
        )

    def _check_folder(self) -> None:
        if self._path.is_dir():
            return
        problem = "is a file, not a folder" if self._path.exists() else "not found"
        raise DatasetError(
            f"Image folder '{self._path}' {problem}. Run `kedro run` first, which "
            "generates the default images, or point this catalog entry's `path` at a "
            "folder of your images."
        )

    def _list_files(self) -> tuple[list[str], list[str]]:
        """Return the sorted relative paths of the images and of the other visible files."""
        images, others = [], []
        for path in self._path.rglob("*"):
            relative = path.relative_to(self._path)
            if any(part.startswith(".") for part in relative.parts) or not path.is_file():
                continue
            if path.suffix.lower() in self._suffixes:
                images.append(relative.as_posix())
            else:
                others.append(relative.as_posix())
        return sorted(images), sorted(others)

    def _exists(self) -> bool:
        return self._path.is_dir()

    def _describe(self) -> dict[str, Any]:
        return {"path": PurePosixPath(self._path).as_posix(), "suffixes": list(self._suffixes)}
