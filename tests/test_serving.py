"""``mlflow models serve`` on the registered models, queried over HTTP on loopback.

One project is registered per module. Each test class starts one model server, as
``docs/serving.md`` documents it, and stops its process group when the class is done.
"""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pytest
from helpers import (
    MODEL_PATHS,
    MODEL_WRITERS,
    copy_project,
    guarded_env,
    run_kedro,
    stop_process_group,
    subprocess_env,
    wait_for_http_ok,
)

# Hang guard, not a speed check. A server start took 8 to 14 s on 2 CPU cores.
SERVER_START_TIMEOUT_S = 180
REQUEST_TIMEOUT_S = 120
REQUEST_FORMATS = ["dataframe_split", "dataframe_records", "inputs", "instances"]
BOX_COLUMNS = ["image_id", "class_id", "class_name", "score", "x1", "y1", "x2", "y2"]
# Bytes outside the base64 alphabet, so the models try to open them as an image file.
NOT_AN_IMAGE = b"\x00\xffnot an image"
# Class names of the checkpoint that helpers.write_efficientnet_checkpoint writes.
CLASS_NAMES = ["zero", "one", "two"]
# Requests bypass any HTTP proxy set in the environment, so they go to loopback only.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class ModelServer:
    """A running ``mlflow models serve`` process.

    Attributes:
        url: Base URL, such as ``http://127.0.0.1:5000``.
        output_log: File that receives the server's stdout and stderr.
        network_log: File where the network guard records blocked connections.
    """

    url: str
    output_log: Path
    network_log: Path


def _tracking_uri(project: Path) -> str:
    return f"sqlite:///{project / 'mlflow.db'}"


@pytest.fixture(scope="module")
def registered_project(tmp_path_factory: pytest.TempPathFactory, empty_store: Path) -> Path:
    """Return a project whose three tiny models are registered, version 1 as ``champion``.

    YOLO is registered with a minimum box confidence of 0, so that the untrained detector
    returns boxes and the tests can check the columns of real box rows.
    """
    root = tmp_path_factory.mktemp("serving") / "project"
    copy_project(root, empty_store)
    for model_key, writer in MODEL_WRITERS.items():
        writer(root / MODEL_PATHS[model_key])

    result = run_kedro(root, "--pipeline", "registry", "--params", "registry.yolo.conf=0.0")

    assert result.returncode == 0, result.stderr
    client = mlflow.MlflowClient(tracking_uri=_tracking_uri(root))
    for name in MODEL_WRITERS:
        client.set_registered_model_alias(name, "champion", "1")
    return root


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_env(project: Path, network_log: Path) -> dict[str, str]:
    # The scoring server runs `uvicorn` from PATH, as in an activated virtual environment.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = subprocess_env(guarded_env(network_log, {"PATH": path}))
    env["MLFLOW_TRACKING_URI"] = _tracking_uri(project)
    # The YOLO model must keep ultralytics offline by itself, as on a user's machine.
    env.pop("YOLO_OFFLINE", None)
    return env


@contextmanager
def _model_server(project: Path, model_name: str) -> Iterator[ModelServer]:
    """Serve ``models:/<model_name>@champion`` until the ``with`` block ends."""
    port = _free_port()
    output_log = project / f"serve_{model_name}.log"
    network_log = project / f"serve_{model_name}_network.log"
    command = [
        sys.executable, "-m", "mlflow", "models", "serve",
        "-m", f"models:/{model_name}@champion",
        "--env-manager", "local",
        "-h", "127.0.0.1",
        "-p", str(port),
    ]  # fmt: skip
    with output_log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=project,
            env=_server_env(project, network_log),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_http_ok(f"{url}/ping", process, output_log, SERVER_START_TIMEOUT_S)
        yield ModelServer(url=url, output_log=output_log, network_log=network_log)
    finally:
        stop_process_group(process)


def _post(server: ModelServer, payload: dict) -> tuple[int, dict]:
    """Post ``payload`` as JSON to ``/invocations`` and return the HTTP status and JSON body."""
    request = urllib.request.Request(
        f"{server.url}/invocations",
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with HTTP.open(request, timeout=REQUEST_TIMEOUT_S) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _image_payload(request_format: str, images: list[bytes]) -> dict:
    texts = [base64.b64encode(image).decode("ascii") for image in images]
    payloads = {
        "dataframe_split": {"columns": ["image"], "data": [[text] for text in texts]},
        "dataframe_records": [{"image": text} for text in texts],
        "inputs": {"image": texts},
        "instances": [{"image": text} for text in texts],
    }
    return {request_format: payloads[request_format]}


def _encode_image(size: tuple[int, int], image_format: str, mode: str = "L") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, size, 128).save(buffer, format=image_format)
    return buffer.getvalue()


def _assert_loopback_only(server: ModelServer) -> None:
    assert not server.network_log.exists(), server.network_log.read_text()


class TestXGBoostServer:
    ROWS = [{"a": 2.0, "b": 0.0, "c": 1.0}, {"a": -2.0, "b": 1.0, "c": 0.0}]

    @pytest.fixture(scope="class")
    @classmethod
    def server(cls, registered_project: Path):
        with _model_server(registered_project, "xgboost") as model_server:
            yield model_server

    def _payload(self, request_format: str) -> dict:
        columns = list(self.ROWS[0])
        payloads = {
            "dataframe_split": {
                "columns": columns,
                "data": [[row[column] for column in columns] for row in self.ROWS],
            },
            "dataframe_records": self.ROWS,
            "inputs": {column: [row[column] for row in self.ROWS] for column in columns},
            "instances": self.ROWS,
        }
        return {request_format: payloads[request_format]}

    @pytest.mark.parametrize("request_format", REQUEST_FORMATS)
    def test_invocations_return_one_label_per_row(self, server, request_format):
        status, body = _post(server, self._payload(request_format))

        assert status == 200, body
        # The tiny classifier learned target = (a > 0).
        assert body == {"predictions": [1, 0]}

    def test_invocations_reject_missing_feature(self, server):
        rows = [{"a": 2.0, "b": 0.0}]

        status, body = _post(server, {"dataframe_records": rows})

        assert status == 400
        assert "missing inputs ['c']" in body["message"]

    def test_server_connects_to_loopback_only(self, server):
        status, _ = _post(server, self._payload("dataframe_split"))

        assert status == 200
        _assert_loopback_only(server)


class TestYOLOServer:
    @pytest.fixture(scope="class")
    @classmethod
    def server(cls, registered_project: Path):
        with _model_server(registered_project, "yolo") as model_server:
            yield model_server

    def test_invocations_return_box_rows(self, server):
        sizes = [(64, 64), (96, 48)]
        images = [_encode_image(sizes[0], "PNG"), _encode_image(sizes[1], "JPEG", "RGB")]

        status, body = _post(server, _image_payload("dataframe_split", images))

        assert status == 200, body
        boxes = body["predictions"]
        assert boxes, "expected boxes from a detector registered with conf=0"
        assert {box["image_id"] for box in boxes} == {0, 1}
        for box in boxes:
            assert list(box) == BOX_COLUMNS
            width, height = sizes[box["image_id"]]
            assert 0.0 <= box["x1"] <= box["x2"] <= width, box
            assert 0.0 <= box["y1"] <= box["y2"] <= height, box
            assert 0.0 <= box["score"] <= 1.0, box
            assert isinstance(box["class_id"], int), box
            assert isinstance(box["class_name"], str), box

    @pytest.mark.parametrize("request_format", REQUEST_FORMATS)
    def test_invocations_accept_request_format(self, server, request_format):
        payload = _image_payload(request_format, [_encode_image((64, 64), "PNG")])

        status, body = _post(server, payload)

        assert status == 200, body
        assert {box["image_id"] for box in body["predictions"]} == {0}

    def test_invocations_reject_non_image(self, server):
        payload = _image_payload("dataframe_split", [NOT_AN_IMAGE])

        status, body = _post(server, payload)

        assert status == 400
        assert "Row 0 of column 'image' is not an encoded image" in body["stack_trace"]
        # ultralytics' Image.open wrapper fails on unknown data with an ImportError.
        assert "Pillow cannot identify the image format" in body["stack_trace"]

    def test_server_connects_to_loopback_only(self, server):
        status, _ = _post(server, _image_payload("inputs", [_encode_image((64, 64), "PNG")]))

        assert status == 200
        _assert_loopback_only(server)


class TestEfficientNetServer:
    @pytest.fixture(scope="class")
    @classmethod
    def server(cls, registered_project: Path):
        with _model_server(registered_project, "efficientnet") as model_server:
            yield model_server

    def test_invocations_return_class_and_probabilities(self, server):
        images = [_encode_image((48, 48), "PNG"), _encode_image((20, 30), "JPEG", "RGB")]

        status, body = _post(server, _image_payload("dataframe_split", images))

        assert status == 200, body
        rows = body["predictions"]
        assert len(rows) == 2
        probability_columns = [f"prob_{name}" for name in CLASS_NAMES]
        for row in rows:
            assert list(row) == ["class_id", "class_name", "score", *probability_columns]
            assert row["class_name"] == CLASS_NAMES[row["class_id"]]
            probabilities = [row[column] for column in probability_columns]
            assert sum(probabilities) == pytest.approx(1.0, abs=1e-5)
            assert row["score"] == max(probabilities)

    @pytest.mark.parametrize("request_format", REQUEST_FORMATS)
    def test_invocations_accept_request_format(self, server, request_format):
        payload = _image_payload(request_format, [_encode_image((48, 48), "PNG")])

        status, body = _post(server, payload)

        assert status == 200, body
        assert len(body["predictions"]) == 1

    def test_invocations_reject_non_image(self, server):
        payload = _image_payload("dataframe_records", [NOT_AN_IMAGE])

        status, body = _post(server, payload)

        assert status == 400
        assert "Row 0 of column 'image' is not an encoded image" in body["stack_trace"]

    def test_server_connects_to_loopback_only(self, server):
        status, _ = _post(server, _image_payload("instances", [_encode_image((48, 48), "PNG")]))

        assert status == 200
        _assert_loopback_only(server)
