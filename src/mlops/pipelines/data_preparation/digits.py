"""Build classification and detection datasets from the UCI handwritten digits.

The source is ``sklearn.datasets.load_digits()``: 8x8 float images with intensities 0..16
(white digit on black) and integer labels 0..9. Every function here is pure. It reads no
files, and the same arguments and seed give the same output.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

CLASS_NAMES: tuple[str, ...] = tuple(str(digit) for digit in range(10))
"""Class names in label order, so that label ``k`` has the name ``CLASS_NAMES[k]``."""

SOURCE_MAX_INTENSITY = 16.0
"""Maximum pixel value of ``load_digits().images``, which maps to 255."""

# Mean and standard deviation of the Gaussian background noise on detection canvases,
# in pixel values 0..255.
BACKGROUND_MEAN = 12.0
BACKGROUND_STD = 6.0

MAX_PLACEMENT_ATTEMPTS = 100
"""Random positions tried per requested digit before a canvas keeps fewer digits."""

YoloBox = tuple[int, float, float, float, float]
"""Class id, then x center, y center, width and height as fractions of the canvas side."""

DetectionSample = tuple[np.ndarray, list[YoloBox]]


def build_classification_set(
    images: np.ndarray,
    labels: np.ndarray,
    image_size: int,
    val_fraction: float,
    seed: int,
) -> dict[str, dict[str, list[np.ndarray]]]:
    """Split the digits into train and val sets and upscale them for a classifier.

    The split is stratified: each class sends about ``val_fraction`` of its images to val,
    and at least one to each side when it has two or more.

    Args:
        images: Source digits of shape (n, height, width) with values 0..16.
        labels: Digit of each image, shape (n,), values 0..9.
        image_size: Side in pixels of the square output images.
        val_fraction: Share of each class that goes to val, strictly between 0 and 1.
        seed: Seed of the numpy Generator that shuffles the split.

    Returns:
        ``{"train": {"0": [...], ..., "9": [...]}, "val": {...}}``. Every class name is a
        key, and each array is uint8 of shape (image_size, image_size), white on black.

    Raises:
        ValueError: If the source arrays, ``image_size`` or ``val_fraction`` are invalid.
    """
    _validate_source(images, labels)
    _require_positive("image_size", image_size)
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(
            f"val_fraction={val_fraction} is invalid: it must be strictly between 0 and 1. "
            "Pass a value such as 0.2."
        )

    rng = np.random.default_rng(seed)
    train_indices, val_indices = _split_stratified(labels, val_fraction, rng)
    return {
        "train": _group_by_class(images, labels, train_indices, image_size),
        "val": _group_by_class(images, labels, val_indices, image_size),
    }


# Kedro passes a node's inputs positionally, so the arguments cannot be keyword-only.
def build_detection_set(  # noqa: PLR0917
    images: np.ndarray,
    labels: np.ndarray,
    canvas_size: int,
    n_train: int,
    n_val: int,
    max_digits: int,
    min_digit_size: int,
    max_digit_size: int,
    seed: int,
) -> dict[str, list[DetectionSample]]:
    """Paste digits onto noisy dark canvases and label them as YOLO boxes.

    The source digits are first split, stratified by class, in the ratio n_train : n_val,
    so that no source image appears on both train and val canvases. Each canvas draws a count
    from 1..max_digits and places that many digits at random sides and positions without
    overlap. A crowded canvas keeps fewer digits when no free position turns up, but it
    always keeps at least one.

    Args:
        images: Source digits of shape (n, height, width) with values 0..16.
        labels: Digit of each image, shape (n,), values 0..9.
        canvas_size: Side in pixels of the square canvases.
        n_train: Number of train canvases.
        n_val: Number of val canvases.
        max_digits: Maximum number of digits on one canvas.
        min_digit_size: Minimum side in pixels of a pasted digit.
        max_digit_size: Maximum side in pixels of a pasted digit.
        seed: Seed of the numpy Generator behind the split, the layouts and the noise.

    Returns:
        ``{"train": [...], "val": [...]}`` of ``(canvas, boxes)`` pairs. A canvas is uint8
        of shape (canvas_size, canvas_size). Each box is ``(class_id, x_center, y_center,
        width, height)`` normalised to [0, 1] and bounds one pasted digit square exactly.

    Raises:
        ValueError: If the source arrays or any size or count argument are invalid.
    """
    _validate_source(images, labels)
    _validate_detection_arguments(
        canvas_size=canvas_size,
        n_train=n_train,
        n_val=n_val,
        max_digits=max_digits,
        min_digit_size=min_digit_size,
        max_digit_size=max_digit_size,
    )

    rng = np.random.default_rng(seed)
    train_pool, val_pool = _split_stratified(labels, n_val / (n_train + n_val), rng)
    layout = (canvas_size, max_digits, min_digit_size, max_digit_size)
    return {
        "train": [_render_canvas(images, labels, train_pool, layout, rng) for _ in range(n_train)],
        "val": [_render_canvas(images, labels, val_pool, layout, rng) for _ in range(n_val)],
    }


def upscale_digit(image: np.ndarray, size: int) -> np.ndarray:
    """Convert one source digit with values 0..16 to a uint8 image of side ``size``.

    Uses bicubic resampling, which PIL clips to 0..255 for 8-bit grayscale images.
    """
    scaled = np.clip(image * (255.0 / SOURCE_MAX_INTENSITY), 0.0, 255.0)
    pixels = Image.fromarray(np.rint(scaled).astype(np.uint8))
    resized = pixels.resize((size, size), resample=Image.Resampling.BICUBIC)
    return np.asarray(resized, dtype=np.uint8)


def _validate_source(images: np.ndarray, labels: np.ndarray) -> None:
    if images.ndim != 3 or images.shape[0] == 0:
        raise ValueError(
            f"images has shape {images.shape}, but it must be (n, height, width) with n >= 1. "
            "Pass load_digits().images, not load_digits().data."
        )
    if labels.shape != (images.shape[0],):
        raise ValueError(
            f"labels has shape {labels.shape}, but it must be ({images.shape[0]},), "
            "one label per image. Pass load_digits().target."
        )
    if labels.min() < 0 or labels.max() >= len(CLASS_NAMES):
        raise ValueError(
            f"labels range from {labels.min()} to {labels.max()}, but they must be digits "
            f"0..{len(CLASS_NAMES) - 1}. Pass load_digits().target."
        )


def _validate_detection_arguments(
    *,
    canvas_size: int,
    n_train: int,
    n_val: int,
    max_digits: int,
    min_digit_size: int,
    max_digit_size: int,
) -> None:
    for name, value in (
        ("canvas_size", canvas_size),
        ("n_train", n_train),
        ("n_val", n_val),
        ("max_digits", max_digits),
        ("min_digit_size", min_digit_size),
    ):
        _require_positive(name, value)
    if not min_digit_size <= max_digit_size <= canvas_size:
        raise ValueError(
            f"min_digit_size={min_digit_size}, max_digit_size={max_digit_size} and "
            f"canvas_size={canvas_size} are invalid: they must satisfy "
            "min_digit_size <= max_digit_size <= canvas_size. Lower the digit sizes."
        )
    if max_digits * min_digit_size**2 > canvas_size**2:
        raise ValueError(
            f"max_digits={max_digits} digits of side min_digit_size={min_digit_size} cover "
            f"more than the {canvas_size}x{canvas_size} canvas, so no canvas can hold them. "
            "Lower max_digits or min_digit_size, or raise canvas_size."
        )


def _require_positive(name: str, value: int) -> None:
    if value < 1:
        raise ValueError(f"{name}={value} is invalid: it must be at least 1.")


def _split_stratified(
    labels: np.ndarray, val_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Return sorted train and val indices with about ``val_fraction`` of each class in val."""
    train_parts, val_parts = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_val = min(max(round(val_fraction * len(members)), 1), len(members) - 1)
        val_parts.append(members[:n_val])
        train_parts.append(members[n_val:])

    train_indices = np.sort(np.concatenate(train_parts))
    val_indices = np.sort(np.concatenate(val_parts))
    if len(train_indices) == 0 or len(val_indices) == 0:
        raise ValueError(
            f"The {len(labels)} source images cannot be split into non-empty train and val "
            "sets, because no class has two or more images. Pass more source images."
        )
    return train_indices, val_indices


def _group_by_class(
    images: np.ndarray, labels: np.ndarray, indices: np.ndarray, image_size: int
) -> dict[str, list[np.ndarray]]:
    groups: dict[str, list[np.ndarray]] = {name: [] for name in CLASS_NAMES}
    for index in indices:
        groups[CLASS_NAMES[labels[index]]].append(upscale_digit(images[index], image_size))
    return groups


def _render_canvas(
    images: np.ndarray,
    labels: np.ndarray,
    pool: np.ndarray,
    layout: tuple[int, int, int, int],
    rng: np.random.Generator,
) -> DetectionSample:
    """Draw one canvas from the source images in ``pool``.

    ``layout`` is (canvas_size, max_digits, min_digit_size, max_digit_size).
    """
    canvas_size, max_digits, min_digit_size, max_digit_size = layout
    noise = rng.normal(BACKGROUND_MEAN, BACKGROUND_STD, size=(canvas_size, canvas_size))
    canvas = np.clip(np.rint(noise), 0, 255).astype(np.uint8)

    count = int(rng.integers(1, max_digits + 1))
    boxes: list[YoloBox] = []
    for x, y, size in _place_squares(canvas_size, count, min_digit_size, max_digit_size, rng):
        index = int(rng.choice(pool))
        region = canvas[y : y + size, x : x + size]
        # The maximum keeps the background noise visible between the strokes of the digit.
        np.maximum(region, upscale_digit(images[index], size), out=region)
        center_x = (x + size / 2) / canvas_size
        center_y = (y + size / 2) / canvas_size
        side = size / canvas_size
        boxes.append((int(labels[index]), center_x, center_y, side, side))
    return canvas, boxes


def _place_squares(
    canvas_size: int, count: int, min_size: int, max_size: int, rng: np.random.Generator
) -> list[tuple[int, int, int]]:
    """Return up to ``count`` non-overlapping squares as (x, y, size), at least one.

    Gives up after ``MAX_PLACEMENT_ATTEMPTS`` random tries per requested square. The first
    try always succeeds when ``max_size <= canvas_size``, which ``build_detection_set``
    validates.
    """
    squares: list[tuple[int, int, int]] = []
    for _ in range(count * MAX_PLACEMENT_ATTEMPTS):
        if len(squares) == count:
            break
        size = int(rng.integers(min_size, max_size + 1))
        x = int(rng.integers(0, canvas_size - size + 1))
        y = int(rng.integers(0, canvas_size - size + 1))
        if not any(_squares_overlap((x, y, size), other) for other in squares):
            squares.append((x, y, size))
    return squares


def _squares_overlap(first: tuple[int, int, int], second: tuple[int, int, int]) -> bool:
    """Return whether two (x, y, size) squares share any pixel. Touching edges do not count."""
    x1, y1, size1 = first
    x2, y2, size2 = second
    return x1 < x2 + size2 and x2 < x1 + size1 and y1 < y2 + size2 and y2 < y1 + size1
