"""Decoding and preprocessing of the images that the vision pyfunc models take as input.

This file is shipped with each logged vision model (``code_paths``), so it imports only
libraries that the model's requirements install. Training uses ``image_to_tensor`` too,
so a registered classifier gets inputs preprocessed exactly as in training.
"""

from __future__ import annotations

import base64
import binascii
import io

import pandas as pd
from PIL import Image, UnidentifiedImageError

IMAGE_COLUMN = "image"


def decode_images(model_input: pd.DataFrame) -> list[Image.Image]:
    """Decode the ``image`` column: encoded image bytes (PNG, JPEG, ...) or base64 text.

    Raises:
        ValueError: If the column is missing or a row is not an encoded image.
    """
    if IMAGE_COLUMN not in model_input.columns:
        raise ValueError(
            f"Model input has columns {list(model_input.columns)}; expected an "
            f"'{IMAGE_COLUMN}' column of encoded images (bytes or base64 strings)."
        )
    return [_decode(value, row) for row, value in enumerate(model_input[IMAGE_COLUMN])]


def _decode(value: bytes | str, row: int) -> Image.Image:
    try:
        data = base64.b64decode(value, validate=True) if isinstance(value, str) else bytes(value)
        image = Image.open(io.BytesIO(data))
        image.load()
    except (binascii.Error, TypeError, UnidentifiedImageError, OSError) as exc:
        raise ValueError(
            f"Row {row} of column '{IMAGE_COLUMN}' is not an encoded image: {exc}. "
            "Send PNG or JPEG bytes, or their base64 text."
        ) from exc
    return image


def image_to_tensor(image: Image.Image, in_chans: int, input_size: int, mean, std):
    """Convert a PIL image to a normalised ``(in_chans, input_size, input_size)`` tensor.

    The image is converted to grayscale (``in_chans=1``) or RGB, resized bilinearly to a
    square, scaled to [0, 1] and normalised with the per-channel ``mean`` and ``std``.
    """
    import numpy as np
    import torch

    image = image.convert("L" if in_chans == 1 else "RGB")
    image = image.resize((input_size, input_size), Image.Resampling.BILINEAR)
    array = np.asarray(image, dtype=np.float32) / 255.0
    if array.ndim == 2:
        array = array[None, :, :]
    else:
        array = array.transpose(2, 0, 1)
    tensor = torch.from_numpy(np.ascontiguousarray(array))
    mean_tensor = torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1)
    std_tensor = torch.tensor(std, dtype=torch.float32).view(-1, 1, 1)
    return (tensor - mean_tensor) / std_tensor
