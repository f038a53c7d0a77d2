"""Kedro-Viz on the project: the static build's JSON data and the served page in Chromium.

``kedro viz build`` writes the data that the page reads to ``build/api/main`` (the
``__default__`` pipeline) and ``build/api/pipelines/<id>`` (one file per registered
pipeline). The browser tests serve ``kedro viz run`` on loopback and render it in
headless Chromium from Debian's ``chromium`` package, driven from its command line.
"""

from __future__ import annotations

import html
import ipaddress
import json
import random
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from helpers import (
    copy_project,
    guarded_env,
    install_debian_package,
    signal_process_group,
    stop_process_group,
    subprocess_env,
    wait_for_http_ok,
)
from kedro.framework.startup import bootstrap_project

CHROMIUM = Path("/usr/bin/chromium")
PIPELINE_IDS = ["__default__", "data_preparation", "training", "registry", "inference"]
MODEL_TAGS = ["xgboost", "yolo", "efficientnet"]
# Hang guards, not speed checks. On 2 shared CPU cores a build took 6 to 17 s, the
# server returned its first page 14 to 17 s after its start, and Chromium rendered the
# page in 3 to 6 s.
VIZ_COMMAND_TIMEOUT_S = 300
SERVER_START_TIMEOUT_S = 180
CHROMIUM_TIMEOUT_S = 180
# Ports for `kedro viz run`: above the well-known ports, and at most 49151, the highest
# port that kedro-viz 12.5 accepts.
VIZ_PORT_RANGE = (20000, 49151)
# Virtual time that Chromium gives the page's scripts to fetch the data and lay out the
# graph before it writes the DOM or the screenshot.
VIRTUAL_TIME_BUDGET_MS = 20000
# Requests bypass any HTTP proxy set in the environment, so they go to loopback only.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# NOTE: kedro-viz 12.5's index.html links the Inter font from Google Fonts, so a user's
# browser requests these hosts. In the tests, Chromium sends them to a closed loopback
# port, so they fail and nothing leaves the machine. The page may request no other host.
KEDRO_VIZ_FONT_HOSTS = {"fonts.googleapis.com", "fonts.gstatic.com"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _free_viz_port() -> int:
    """Return a free loopback port that ``kedro viz run`` accepts.

    kedro-viz 12.5 rejects ports above 49151, and Linux hands out ephemeral ports from
    32768 to 60999 by default, so a port from ``bind(("127.0.0.1", 0))`` fails about
    four times in ten.
    """
    for _ in range(100):
        port = random.randint(*VIZ_PORT_RANGE)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    pytest.fail(f"No free loopback port found in {VIZ_PORT_RANGE} after 100 tries.")


def _project_node_names(project: Path) -> dict[str, list[str]]:
    """Return the node names of each pipeline that the project registers."""
    bootstrap_project(project)
    from mlops.pipeline_registry import register_pipelines

    return {
        name: [node.name for node in pipeline.nodes]
        for name, pipeline in register_pipelines().items()
    }


def _project_node_tags(project: Path) -> dict[str, set[str]]:
    bootstrap_project(project)
    from mlops.pipeline_registry import register_pipelines

    tags = {}
    for pipeline in register_pipelines().values():
        for node in pipeline.nodes:
            tags[node.name] = set(node.tags)
    return tags


# ---------------------------------------------------------------------------------------
# kedro viz build


@dataclass(frozen=True)
class VizBuild:
    """The output of one ``kedro viz build``.

    Attributes:
        api: The ``build/api`` folder, with the JSON data the page reads.
        project: Project folder that was built.
        network_log: File where the network guard records blocked connections.
    """

    api: Path
    project: Path
    network_log: Path


@pytest.fixture(scope="module")
def viz_build(tmp_path_factory: pytest.TempPathFactory, empty_store: Path) -> VizBuild:
    """Run ``kedro viz build`` once in a copy of the project, with the network guard on.

    A build takes seconds, so the module's tests share one.
    """
    project = tmp_path_factory.mktemp("viz_build") / "project"
    copy_project(project, empty_store)
    network_log = project / "viz_build_network.log"
    result = subprocess.run(
        [sys.executable, "-m", "kedro", "viz", "build"],
        check=False,
        cwd=project,
        env=subprocess_env(guarded_env(network_log)),
        capture_output=True,
        text=True,
        timeout=VIZ_COMMAND_TIMEOUT_S,
    )

    assert result.returncode == 0, f"kedro viz build failed:\n{result.stdout}\n{result.stderr}"
    return VizBuild(api=project / "build" / "api", project=project, network_log=network_log)


def _read_pipeline(build: VizBuild, pipeline_id: str) -> dict:
    return json.loads((build.api / "pipelines" / pipeline_id).read_text())


def _read_main(build: VizBuild) -> dict:
    return json.loads((build.api / "main").read_text())


def _task_nodes(data: dict) -> dict[str, dict]:
    return {node["name"]: node for node in data["nodes"] if node["type"] == "task"}


def test_viz_build_lists_registered_pipelines(viz_build: VizBuild):
    main = _read_main(viz_build)

    assert sorted(pipeline["id"] for pipeline in main["pipelines"]) == sorted(PIPELINE_IDS)
    assert main["selected_pipeline"] == "__default__"
    for pipeline_id in PIPELINE_IDS:
        assert (viz_build.api / "pipelines" / pipeline_id).is_file(), pipeline_id
        assert _read_pipeline(viz_build, pipeline_id)["selected_pipeline"] == pipeline_id


def test_viz_build_shows_every_node(viz_build: VizBuild):
    node_names = _project_node_names(viz_build.project)

    assert sorted(node_names) == sorted(PIPELINE_IDS)
    for pipeline_id, names in node_names.items():
        viz_nodes = _task_nodes(_read_pipeline(viz_build, pipeline_id))
        assert sorted(viz_nodes) == sorted(names), pipeline_id

    main_names = _task_nodes(_read_main(viz_build))
    assert sorted(main_names) == sorted(node_names["__default__"])


def test_viz_build_default_excludes_inference(viz_build: VizBuild):
    main_names = set(_task_nodes(_read_main(viz_build)))
    inference_names = set(_project_node_names(viz_build.project)["inference"])

    assert inference_names
    assert not main_names & inference_names


def test_viz_build_nodes_carry_model_tags(viz_build: VizBuild):
    expected_tags = _project_node_tags(viz_build.project)

    assert sorted(tag["id"] for tag in _read_main(viz_build)["tags"]) == sorted(MODEL_TAGS)
    for pipeline_id in PIPELINE_IDS:
        for name, node in _task_nodes(_read_pipeline(viz_build, pipeline_id)).items():
            model_tags = set(node["tags"]) & set(MODEL_TAGS)
            assert len(model_tags) == 1, f"{pipeline_id}/{name} has model tags {model_tags}"
            assert set(node["tags"]) == expected_tags[name], name


def test_viz_build_tag_selects_one_model_path(viz_build: VizBuild):
    """Each model tag selects nodes of all four pipelines, its register node among them."""
    nodes = []
    for pipeline_id in PIPELINE_IDS:
        nodes.extend(_task_nodes(_read_pipeline(viz_build, pipeline_id)).values())

    for tag in MODEL_TAGS:
        tagged = [node for node in nodes if tag in node["tags"]]
        pipelines = set().union(*(node["pipelines"] for node in tagged))
        assert pipelines == set(PIPELINE_IDS), tag
        assert any(node["name"] == f"register_{tag}" for node in tagged), tag


def test_viz_build_links_pipelines_in_order(viz_build: VizBuild):
    """Edges lead from each data_preparation node through training to registry."""
    main = _read_main(viz_build)
    nodes = {node["id"]: node for node in main["nodes"]}
    successors: dict[str, set[str]] = {}
    for edge in main["edges"]:
        successors.setdefault(edge["source"], set()).add(edge["target"])

    def downstream_names(start: str) -> set[str]:
        seen, stack = set(), [start]
        while stack:
            for target in successors.get(stack.pop(), ()):
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        return {nodes[node_id]["name"] for node_id in seen}

    ids_by_name = {node["name"]: node_id for node_id, node in nodes.items()}
    for tag, first_node in [
        ("xgboost", "create_breast_cancer_table"),
        ("yolo", "create_digit_detection_set"),
        ("efficientnet", "create_digit_classification_set"),
    ]:
        downstream = downstream_names(ids_by_name[first_node])
        assert f"train_{tag}" in downstream, first_node
        assert f"register_{tag}" in downstream, first_node


def test_viz_build_shows_parameters(viz_build: VizBuild):
    bootstrap_project(viz_build.project)
    from mlops.pipeline_registry import register_pipelines

    for pipeline_id, pipeline in register_pipelines().items():
        data = _read_pipeline(viz_build, pipeline_id)
        viz_parameters = {node["name"] for node in data["nodes"] if node["type"] == "parameters"}
        expected = {name for name in pipeline.inputs() if name.startswith("params:")}
        assert expected, pipeline_id
        assert viz_parameters == expected, pipeline_id

    train = _task_nodes(_read_pipeline(viz_build, "training"))["train_xgboost"]
    assert "max_depth" in train["parameters"]["xgboost"]["model"]


def test_viz_build_sends_nothing_beyond_loopback(viz_build: VizBuild):
    assert not viz_build.network_log.exists(), viz_build.network_log.read_text()


# ---------------------------------------------------------------------------------------
# kedro viz run, rendered in headless Chromium


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Return Debian's Chromium, installed with apt-get when it is missing."""
    install_debian_package("chromium", CHROMIUM)
    return CHROMIUM


@dataclass(frozen=True)
class VizServer:
    """A running ``kedro viz run`` process.

    Attributes:
        url: Base URL, such as ``http://127.0.0.1:4141``.
        project: Project folder that the server shows.
        output_log: File that receives the server's stdout and stderr.
        network_log: File where the network guard records blocked connections.
    """

    url: str
    project: Path
    output_log: Path
    network_log: Path


@pytest.fixture(scope="module")
def viz_server(tmp_path_factory: pytest.TempPathFactory, empty_store: Path) -> Iterator[VizServer]:
    """Serve a copy of the project with ``kedro viz run`` on loopback, with the network guard."""
    project = tmp_path_factory.mktemp("viz") / "project"
    copy_project(project, empty_store)
    port = _free_viz_port()
    output_log = project / "viz_run.log"
    network_log = project / "viz_run_network.log"
    command = [
        sys.executable, "-m", "kedro", "viz", "run",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--no-browser",
    ]  # fmt: skip
    with output_log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=project,
            env=subprocess_env(guarded_env(network_log)),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_http_ok(f"{url}/api/main", process, output_log, SERVER_START_TIMEOUT_S)
        yield VizServer(url=url, project=project, output_log=output_log, network_log=network_log)
    finally:
        stop_process_group(process)


@dataclass(frozen=True)
class ChromiumNetLog:
    """What Chromium's net log recorded while it rendered one page.

    Attributes:
        page_urls: URLs that the page requested (the initiator is the page's origin).
            Chromium's own service requests have no origin and are left out.
        tcp_addresses: ``host:port`` of every TCP connection attempt.
        udp_send_addresses: ``host:port`` of every UDP datagram sent.
    """

    page_urls: set[str]
    tcp_addresses: set[str]
    udp_send_addresses: set[str]


def _read_net_log(path: Path, page_origin: str) -> ChromiumNetLog:
    try:
        log = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError) as error:
        pytest.fail(f"Chromium's net log {path} is missing or incomplete: {error}")

    event_names = {number: name for name, number in log["constants"]["logEventTypes"].items()}
    page_urls, tcp_addresses, udp_send_addresses = set(), set(), set()
    for event in log["events"]:
        name = event_names[event["type"]]
        params = event.get("params", {})
        if name == "URL_REQUEST_START_JOB" and params.get("initiator") == page_origin:
            page_urls.add(params["url"])
        elif name == "TCP_CONNECT_ATTEMPT" and "address" in params:
            tcp_addresses.add(params["address"])
        elif name == "UDP_BYTES_SENT":
            udp_send_addresses.add(params.get("address", "unknown address"))
    return ChromiumNetLog(page_urls, tcp_addresses, udp_send_addresses)


def _is_loopback_address(address: str) -> bool:
    host = address.rsplit(":", 1)[0].strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _run_chromium(
    chromium: Path, work_dir: Path, url: str, *mode: str
) -> tuple[str, ChromiumNetLog]:
    """Render ``url`` in headless Chromium and return its stdout and its net log.

    Chromium bypasses its proxy for loopback only, so a closed loopback port as proxy makes
    every other request fail on this machine, and the resolver rules make every host name
    but 127.0.0.1 unknown. The net log still records what the page requested.
    """
    net_log = work_dir / "chromium_net_log.json"
    command = [
        str(chromium),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={work_dir / 'chromium_profile'}",
        f"--proxy-server=http://127.0.0.1:{_free_port()}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--log-net-log={net_log}",
        f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
        *mode,
        url,
    ]
    # Chromium starts helper processes (zygote, renderer), so a new session lets the test
    # stop all of them if it hangs.
    process = subprocess.Popen(
        command,
        cwd=work_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=CHROMIUM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        signal_process_group(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"Chromium timed out after {CHROMIUM_TIMEOUT_S} s on {url}.")
    finally:
        signal_process_group(process.pid, signal.SIGKILL)

    if process.returncode != 0:
        pytest.fail(
            f"Chromium exited with code {process.returncode} on {url}. stderr:\n{stderr[-3000:]}"
        )
    return stdout, _read_net_log(net_log, page_origin=url)


def _svg_text_labels(dom: str) -> list[str]:
    """Return the text of the ``<text>`` elements, which label the graph's nodes."""
    return [html.unescape(label) for label in re.findall(r"<text[^>]*>([^<]*)</text>", dom)]


@dataclass(frozen=True)
class RenderedPage:
    """The DOM that Chromium rendered from the viz server, and its net log."""

    dom: str
    net_log: ChromiumNetLog


@pytest.fixture(scope="module")
def rendered_page(
    viz_server: VizServer, chromium: Path, tmp_path_factory: pytest.TempPathFactory
) -> RenderedPage:
    """Render the viz server's page once with ``--dump-dom`` and keep the DOM in a file."""
    work_dir = tmp_path_factory.mktemp("viz_page")
    dom, net_log = _run_chromium(chromium, work_dir, viz_server.url, "--dump-dom")
    (work_dir / "viz_dom.html").write_text(dom)
    return RenderedPage(dom=dom, net_log=net_log)


def test_viz_page_renders_node_names(viz_server: VizServer, rendered_page: RenderedPage):
    """The graph labels every node of ``__default__`` with its raw name.

    kedro-viz 12.5 starts with its "Pretty name" setting off, so the labels read
    ``train_xgboost``, not ``Train Xgboost``.
    """
    labels = _svg_text_labels(rendered_page.dom)
    node_names = _project_node_names(viz_server.project)

    for name in node_names["__default__"]:
        assert name in labels, f"{name} is not a label of the rendered graph"
    for name in node_names["inference"]:
        assert name not in labels, f"{name} of inference is in the __default__ graph"


def test_viz_page_lists_pipelines(rendered_page: RenderedPage):
    for pipeline_id in PIPELINE_IDS:
        assert f'title="{pipeline_id}"' in rendered_page.dom, pipeline_id


def test_viz_page_connects_only_to_loopback(viz_server: VizServer, rendered_page: RenderedPage):
    net_log = rendered_page.net_log

    assert f"{viz_server.url}/api/main" in net_log.page_urls
    remote_page_hosts = {urlsplit(url).hostname for url in net_log.page_urls} - {"127.0.0.1"}
    assert remote_page_hosts <= KEDRO_VIZ_FONT_HOSTS, sorted(net_log.page_urls)
    assert "heapanalytics" not in rendered_page.dom
    assert net_log.tcp_addresses
    for address in net_log.tcp_addresses:
        assert _is_loopback_address(address), address
    for address in net_log.udp_send_addresses:
        assert _is_loopback_address(address), address


def test_viz_page_screenshot(viz_server: VizServer, chromium: Path, tmp_path: Path):
    screenshot = tmp_path / "viz.png"

    _run_chromium(
        chromium,
        tmp_path,
        viz_server.url,
        f"--screenshot={screenshot}",
        "--window-size=1600,1000",
    )

    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # At 1600x1000, about:blank saved 7 kB and the rendered graph about 150 kB.
    assert screenshot.stat().st_size > 50_000, "the screenshot looks blank"


def test_viz_run_sends_nothing_beyond_loopback(viz_server: VizServer, rendered_page: RenderedPage):
    # The page requested /api/version, for which the server looks up kedro-viz's latest
    # release, as the command did at its start.
    assert f"{viz_server.url}/api/version" in rendered_page.net_log.page_urls
    assert not viz_server.network_log.exists(), viz_server.network_log.read_text()
