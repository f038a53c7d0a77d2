"""Decoding of the ``image`` column that the vision pyfunc models take as input.

This file is shipped with each logged vision model (``code_paths``), so it imports only
libraries that the model's requirements install.
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
