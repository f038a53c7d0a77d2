"""MLflow pyfunc model of an Ultralytics YOLO detector, logged as code.

Input: a DataFrame with an ``image`` column of encoded images. Output: one row per
detected box with the input row (``image_id``), class, confidence score and the box
corners in pixels of the input image. The model config ``{"yolo": {"conf": ..., "imgsz":
...}}`` sets the minimum box confidence and the inference image size.
"""

from __future__ import annotations

import os

import mlflow
import pandas as pd

try:  # In a logged model, MLflow puts image_input.py (logged as code_paths) on sys.path.
    from image_input import decode_images
except ImportError:  # MLflow also imports this file while the project logs the model.
    from mlops.registry.pyfunc.image_input import decode_images

OUTPUT_COLUMNS = {
    "image_id": "int64",
    "class_id": "int64",
    "class_name": "object",
    "score": "float64",
    "x1": "float64",
    "y1": "float64",
    "x2": "float64",
    "y2": "float64",
}


class YOLODetector(mlflow.pyfunc.PythonModel):
    """Boxes, classes and scores predicted by YOLO weights logged as the ``weights`` artifact."""

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        # Set before ultralytics is imported: no usage events, no online checks, and no
        # pip install when a request contains data that Pillow cannot identify (ultralytics
        # then tries to install pi-heif).
        os.environ.setdefault("YOLO_OFFLINE", "1")
        os.environ.setdefault("YOLO_AUTOINSTALL", "false")
        from ultralytics import YOLO

        config = (context.model_config or {}).get("yolo", {})
        self._model = YOLO(context.artifacts["weights"], task="detect")
        self._conf = float(config.get("conf", 0.25))
        self._imgsz = int(config.get("imgsz", 640))

    def predict(
        self, context, model_input: pd.DataFrame, params: dict | None = None
    ) -> pd.DataFrame:
        images = decode_images(model_input)
        results = self._model.predict(images, conf=self._conf, imgsz=self._imgsz, verbose=False)
        rows = []
        for image_id, result in enumerate(results):
            for box in result.boxes:
                class_id = int(box.cls.item())
                x1, y1, x2, y2 = (float(value) for value in box.xyxy[0].tolist())
                name = str(result.names.get(class_id, class_id))
                rows.append((image_id, class_id, name, float(box.conf.item()), x1, y1, x2, y2))
        return pd.DataFrame(rows, columns=list(OUTPUT_COLUMNS)).astype(OUTPUT_COLUMNS)


mlflow.models.set_model(YOLODetector())
