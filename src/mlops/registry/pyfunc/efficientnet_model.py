"""MLflow pyfunc model of a timm image classifier checkpoint, logged as code.

The checkpoint (artifact ``checkpoint``) carries everything needed to rebuild the model:
timm architecture name, class names, input size, channels and normalisation. Input: a
DataFrame with an ``image`` column of encoded images. Output: one row per image with the
predicted class, its probability, and one ``prob_<class>`` column per class.
"""

from __future__ import annotations

import mlflow
import pandas as pd

try:  # In a logged model, MLflow puts image_input.py (logged as code_paths) on sys.path.
    from image_input import decode_images, image_to_tensor
except ImportError:  # MLflow also imports this file while the project logs the model.
    from mlops.registry.pyfunc.image_input import decode_images, image_to_tensor


class ImageClassifier(mlflow.pyfunc.PythonModel):
    """Class and probabilities predicted by a timm model rebuilt from its checkpoint."""

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        import timm
        import torch

        checkpoint = torch.load(
            context.artifacts["checkpoint"], map_location="cpu", weights_only=True
        )
        self._class_names = [str(name) for name in checkpoint["class_names"]]
        self._in_chans = int(checkpoint["in_chans"])
        self._input_size = int(checkpoint["input_size"])
        self._mean = list(checkpoint["mean"])
        self._std = list(checkpoint["std"])
        self._model = timm.create_model(
            checkpoint["architecture"],
            pretrained=False,
            num_classes=len(self._class_names),
            in_chans=self._in_chans,
        )
        self._model.load_state_dict(checkpoint["state_dict"])
        self._model.eval()

    def predict(
        self, context, model_input: pd.DataFrame, params: dict | None = None
    ) -> pd.DataFrame:
        import torch

        tensors = [
            image_to_tensor(image, self._in_chans, self._input_size, self._mean, self._std)
            for image in decode_images(model_input)
        ]
        batch = torch.stack(tensors)
        with torch.inference_mode():
            probabilities = torch.softmax(self._model(batch), dim=1)
        scores, class_ids = probabilities.max(dim=1)
        frame = pd.DataFrame(
            {
                "class_id": class_ids.numpy().astype("int64"),
                "class_name": [self._class_names[index] for index in class_ids.tolist()],
                "score": scores.numpy().astype("float64"),
            }
        )
        for index, name in enumerate(self._class_names):
            frame[f"prob_{name}"] = probabilities[:, index].numpy().astype("float64")
        return frame


mlflow.models.set_model(ImageClassifier())
