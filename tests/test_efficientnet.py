"""EfficientNet training loop and its checkpoint, trained for real on a tiny image set."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import run_python

from mlops.datasets import ImageFolderDataset, TorchCheckpointDataset
from mlops.pipelines.training.efficientnet import train_efficientnet
from mlops.pipelines.training.validation import TrainingConfigError

PARAMS = {
    "architecture": "efficientnet_b0",
    "checkpoint": None,
    "image_size": 32,
    "in_chans": 1,
    "mean": [0.5],
    "std": [0.5],
    "epochs": 2,
    "patience": 5,
    "batch_size": 8,
    "lr": 0.003,
    "weight_decay": 0.05,
    "warmup_epochs": 0,
    "label_smoothing": 0.1,
    "drop_rate": 0.0,
    "augmentation": {"degrees": 5},
    "device": "cpu",
    "seed": 0,
    "workers": 0,
    "log_interval": 2,
}

RELOAD = """
import json, sys, timm, torch
from pathlib import Path
from PIL import Image
checkpoint = torch.load("efficientnet.pt", map_location="cpu", weights_only=True)
model = timm.create_model(
    checkpoint["architecture"], pretrained=False,
    num_classes=len(checkpoint["class_names"]), in_chans=checkpoint["in_chans"],
)
model.load_state_dict(checkpoint["state_dict"])
model.eval()
size = checkpoint["input_size"]
mean = torch.tensor(checkpoint["mean"]).view(-1, 1, 1)
std = torch.tensor(checkpoint["std"]).view(-1, 1, 1)
paths = sorted(Path("images/val").glob("*/*.png"))
batch = []
for path in paths:
    image = Image.open(path).convert("L").resize((size, size), Image.Resampling.BILINEAR)
    pixels = torch.tensor(list(image.getdata()), dtype=torch.float32).view(1, size, size) / 255
    batch.append((pixels - mean) / std)
with torch.inference_mode():
    classes = model(torch.stack(batch)).argmax(dim=1).tolist()
print(json.dumps([checkpoint["class_names"][index] for index in classes]))
"""


@pytest.fixture
def tiny_images(tmp_path):
    rng = np.random.default_rng(0)
    pattern = {
        "bright": lambda: rng.integers(180, 255, (24, 24), dtype=np.uint8),
        "dark": lambda: rng.integers(0, 60, (24, 24), dtype=np.uint8),
    }
    splits = {
        split: {name: [make() for _ in range(count)] for name, make in pattern.items()}
        for split, count in (("train", 16), ("val", 4))
    }
    ImageFolderDataset(path=str(tmp_path / "images")).save(splits)
    return tmp_path / "images"


def test_train_efficientnet_checkpoint_reloads_in_fresh_process(tiny_images, tmp_path):
    checkpoint, metrics, predictions = train_efficientnet(str(tiny_images), PARAMS)
    dataset = TorchCheckpointDataset(filepath=str(tmp_path / "efficientnet.pt"))
    dataset.save(checkpoint)

    result = run_python(RELOAD, tmp_path)

    assert result.returncode == 0, result.stderr[-3000:]
    reloaded = json.loads(result.stdout.strip().splitlines()[-1])
    expected = [predictions["class_names"][index] for index in predictions["predicted"]]
    assert reloaded == expected
    assert dataset.load().model["class_names"] == ["bright", "dark"]
    assert metrics["best_epoch"] in (1, 2)
    assert len(metrics["val_top1"]) == 2
    assert metrics["top1"] == max(metrics["val_top1"])


def test_train_efficientnet_missing_checkpoint_raises(tiny_images):
    params = {**PARAMS, "checkpoint": "weights/absent.pth"}

    with pytest.raises(
        TrainingConfigError, match="efficientnet.checkpoint is 'weights/absent.pth'"
    ):
        train_efficientnet(str(tiny_images), params)
