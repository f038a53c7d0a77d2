"""Image suffixes that the training libraries read, and the PIL check of image files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Suffixes that ultralytics 8.4 reads as images (ultralytics.data.utils.IMG_FORMATS).
DETECTION_IMAGE_SUFFIXES = frozenset(
    {
        "avif",
        "bmp",
        "dng",
        "heic",
        "heif",
        "jp2",
        "jpeg",
        "jpg",
        "mpo",
        "png",
        "tif",
        "tiff",
        "webp",
    }  # fmt: skip
)
# Suffixes that torchvision's ImageFolder reads (torchvision.datasets.folder.IMG_EXTENSIONS).
CLASSIFICATION_IMAGE_SUFFIXES = (
    ".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp",
)  # fmt: skip


@dataclass(frozen=True)
class ImageHeader:
    """Format and size of an image file that PIL opened and verified."""

    format: str
    width: int
    height: int


def is_hidden(path: Path, root: Path) -> bool:
    """Return whether a file or folder below ``root`` starts with a dot (``.DS_Store``)."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def is_classification_image(path: str | Path, root: Path) -> bool:
    """Return whether the classifier trains on ``path``: visible, with an image suffix."""
    path = Path(path)
    return path.name.lower().endswith(CLASSIFICATION_IMAGE_SUFFIXES) and not is_hidden(path, root)


def read_image_header(path: Path) -> ImageHeader | str:
    """Open and verify an image with PIL, and return its header or the reason it failed.

    ``verify`` checks the file's structure (PNG chunk checksums, for example) without
    decoding every pixel, which keeps the check fast on large data sets.
    """
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.verify()
            return ImageHeader(str(image.format), image.width, image.height)
    # PIL raises many exception types for corrupt files (OSError, SyntaxError,
    # struct.error, DecompressionBombError, ...), so any of them marks the file unreadable.
    except Exception as exc:  # noqa: BLE001
        return f"cannot be read as an image ({type(exc).__name__}: {exc})"
