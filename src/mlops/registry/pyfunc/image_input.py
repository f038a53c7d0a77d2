"""Decoding and preprocessing of the images that the vision pyfunc models take as input.

This file is shipped with each logged vision model (``code_paths``), so it imports only
libraries that the model's requirements install. Training uses ``image_to_tensor`` too,
so a registered classifier gets inputs preprocessed exactly as in training.
"""

from __future__ import annotations

import base64
import io
import re

import pandas as pd
from PIL import Image, UnidentifiedImageError

IMAGE_COLUMN = "image"
_BASE64_TEXT = re.compile(rb"[A-Za-z0-9+/]+={0,2}")


def decode_images(model_input: pd.DataFrame) -> list[Image.Image]:
    """Decode the ``image`` column: encoded image bytes (PNG, JPEG, ...) or base64 text.

    Base64 text may be ``str`` or ASCII ``bytes``. MLflow's scoring server passes it as
    bytes for the ``inputs`` and ``instances`` request formats. Line breaks in the base64
    text are ignored.

    Raises:
        ValueError: If the column is missing or a row is not an encoded image.
    """
    if IMAGE_COLUMN not in model_input.columns:
        raise ValueError(
            f"Model input has columns {list(model_input.columns)}; expected an "
            f"'{IMAGE_COLUMN}' column of encoded images (bytes or base64 strings)."
        )
    return [_decode(value, row) for row, value in enumerate(model_input[IMAGE_COLUMN])]


def _image_bytes(value: bytes | str) -> bytes:
    if isinstance(value, str):
        compact = re.sub(rb"\s+", b"", value.encode("ascii"))
        return base64.b64decode(compact, validate=True)
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"expected bytes or a base64 string, got {type(value).__name__}")
    data = bytes(value)
    compact = re.sub(rb"\s+", b"", data)
    # Encoded images contain bytes outside the base64 alphabet (PNG starts with 0x89,
    # JPEG with 0xFF), so bytes made only of base64 characters are base64 text.
    if _BASE64_TEXT.fullmatch(compact):
        return base64.b64decode(compact, validate=True)
    return data


def _decode(value: bytes | str, row: int) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(_image_bytes(value)))
        image.load()
    except ImportError as exc:
        # ultralytics (imported by the YOLO model) replaces Image.open with a wrapper
        # that imports the optional pi_heif package when Pillow cannot identify the data.
        raise _not_an_image(row, "Pillow cannot identify the image format") from exc
    # ValueError covers invalid base64 (binascii.Error) and non-ASCII text.
    except (ValueError, TypeError, UnidentifiedImageError, OSError) as exc:
        raise _not_an_image(row, str(exc)) from exc
    return image


def _not_an_image(row: int, reason: str) -> ValueError:
    return ValueError(
        f"Row {row} of column '{IMAGE_COLUMN}' is not an encoded image: {reason}. "
        "Send PNG or JPEG bytes, or their base64 text."
    )


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
