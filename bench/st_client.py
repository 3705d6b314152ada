"""A light Streamlit client that speaks the browser's own websocket protocol (no browser).

One `Session` is one browser tab: it opens `/_stcore/stream` on a local server, asks for a page,
keeps the elements the script sends, sets widget values as the frontend does and reruns, uploads
files through `/_stcore/upload_file/...`, and answers fragment auto-reruns (`st.fragment(run_every)`)
so live pages keep polling. Localhost only; every wait is bounded by a timeout.

    async with await Session.open("http://127.0.0.1:8501", "features") as tab:
        await tab.upload("Upload", "cat.jpg", data)
        await tab.wait_for(lambda s: s.find("plotly_chart"), timeout=30)

Protocol (streamlit 1.67, `streamlit/web/server/starlette/starlette_websocket.py`): the client sends
`Sec-WebSocket-Protocol: streamlit, <xsrf token>`; every message is a protobuf, `BackMsg` up
(`rerun_script` = ClientState with WidgetStates, `file_urls_request`) and `ForwardMsg` down
(`new_session`, `delta` at `metadata.delta_path`, `script_finished`, `auto_rerun`,
`file_urls_response`, `page_not_found`). The XSRF cookie comes from `/_stcore/health`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
import requests
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Common_pb2 import FileUploaderState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
FINISHED = ForwardMsg.ScriptFinishedStatus
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
WIDGETS = {
    "button", "checkbox", "file_uploader", "number_input", "radio", "selectbox", "slider",
    "text_input", "text_area", "download_button", "multiselect", "camera_input", "button_group",
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A `streamlit run` child process on 127.0.0.1 and the seconds it took to answer."""

    url: str
    process: subprocess.Popen
    started_in: float
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def serve(
    script: str = "app.py",
    env: dict | None = None,
    cwd: Path = ROOT,
    log_path: Path | None = None,
    timeout: float = 90,
    extra_args: tuple[str, ...] = (),
    address: str | None = "127.0.0.1",
    certificate: tuple[Path, Path] | None = None,
) -> Iterator[Server]:
    """Run `streamlit run script` on a free port until the block ends.

    `address=None` leaves the listening address to the config, as a teacher starting the app for
    a class does (use it only where nothing outside can reach this machine, e.g. a namespace).
    `certificate=(cert, key)` (cnnviz.tls.make_certificate) serves HTTPS as
    `python -m cnnviz.https` does; the URL is then https://127.0.0.1:port.
    """
    port = free_port()
    log_path = log_path or Path(tempfile.gettempdir()) / f"cnnviz-server-{port}.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
        *(["--server.address", address] if address else []),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none", *extra_args,
    ]  # fmt: skip
    if certificate:  # HTTPS, as python -m cnnviz.https serves it
        cert, key = certificate
        cmd += ["--server.sslCertFile", str(cert), "--server.sslKeyFile", str(key)]
    started = time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"{'https' if certificate else 'http'}://127.0.0.1:{port}"
    verify = str(certificate[0]) if certificate else True  # the certificate names 127.0.0.1
    try:
        deadline = started + timeout
        while True:
            with contextlib.suppress(requests.RequestException):
                health = requests.get(f"{url}/_stcore/health", timeout=1, verify=verify)
                if health.status_code == 200:
                    break
            if process.poll() is not None:
                raise StreamlitClientError(f"server exited: {log_path.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise StreamlitClientError(f"server did not answer in {timeout} s")
            time.sleep(0.05)
        yield Server(url, process, time.monotonic() - started, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB."""
    return psutil.Process(pid).memory_info().rss / 2**20


@dataclass(frozen=True)
class ProcessInfo:
    """One process: its parent, command line and CPU time so far."""

    parent: int
    argv: list[str]
    cpu: float  # user + system CPU seconds so far

    @property
    def is_training_worker(self) -> bool:
        """A training process of cnnviz.workers (started by multiprocessing's "spawn")."""
        return any("spawn_main" in part for part in self.argv)


def process_info(pid: int) -> ProcessInfo:
    """Parent, command line and CPU time of `pid` (psutil.NoSuchProcess once it ended)."""
    process = psutil.Process(pid)
    with process.oneshot():
        times = process.cpu_times()
        return ProcessInfo(process.ppid(), process.cmdline(), times.user + times.system)


def processes() -> dict[int, ProcessInfo]:
    """Every process running now, by pid."""
    found = {}
    for process in psutil.process_iter():
        try:
            found[process.pid] = process_info(process.pid)
        except psutil.Error:  # a process that ended meanwhile, or one we may not read
            continue
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, in seconds."""
    return process_info(pid).cpu


def worker_pids(pid: int) -> list[int]:
    """The training processes (`cnnviz.workers`) the server `pid` has started."""
    found = []
    for child in psutil.Process(pid).children():
        try:
            if process_info(child.pid).is_training_worker and child.status() != "zombie":
                found.append(child.pid)
        except psutil.Error:  # ended meanwhile
            continue
    return sorted(found)


class StreamlitClientError(RuntimeError):
    """The server did something a browser would show as broken (or did not answer in time)."""


@dataclass
class Element:
    """One element the script drew: its kind ("slider", "markdown", ...) and its own proto."""

    kind: str
    proto: Any
    path: tuple[int, ...]
    run: int  # which script run drew it last
    fragment_id: str = ""  # the fragment that drew it, if any

    @property
    def id(self) -> str:
        return getattr(self.proto, "id", "")

    @property
    def label(self) -> str:
        return getattr(self.proto, "label", "")

    @property
    def text(self) -> str:
        """The text a student reads in this element (empty for pictures)."""
        for name in ("body", "label", "code_text", "message", "text", "caption"):
            value = getattr(self.proto, name, None)
            if isinstance(value, str) and value:
                return value
        return ""


def _http(method: str, url: str, data: bytes | None = None, headers: dict | None = None):
    """A blocking HTTP request to the local server (requests); returns (status, cookies, body).

    A server that refuses a large body early (413) may close the connection while the body is
    still being sent: urllib3, under requests, reads its answer anyway.
    """
    parts = urlsplit(url)
    if parts.hostname not in LOCAL_HOSTS:
        raise ValueError(f"st_client talks to localhost only, not {url}")
    response = requests.request(method, url, data=data, headers=headers or {}, timeout=60)
    return response.status_code, response.cookies, response.content


def multipart(name: str, data: bytes, mime: str) -> tuple[bytes, str]:
    """One file as a multipart/form-data body (what the frontend PUTs); returns (body, type)."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: {mime}\r\n\r\n"
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


@dataclass
class Session:
    """One browser tab's worth of protocol against a local Streamlit server."""

    base_url: str
    page: str = ""
    timeout: float = 60.0
    session_id: str = ""
    page_script_hash: str = ""  # the page being shown, as the server named it
    elements: dict[tuple[int, ...], Element] = field(default_factory=dict)
    page_not_found: bool = False
    runs: int = 0  # script runs started (full or fragment)
    last_status: int | None = None
    fragments: dict[str, float] = field(default_factory=dict)  # fragment id -> rerun interval
    poll_fragments: bool = True
    _values: dict[str, WidgetState] = field(default_factory=dict)
    _triggers: list[WidgetState] = field(default_factory=list)
    _xsrf: str = ""
    _ws: Any = None
    _reader: asyncio.Task | None = None
    _poller: asyncio.Task | None = None
    _changed: asyncio.Condition | None = None
    _running: bool = False
    _pending: int = 0  # requests sent whose run has not finished yet
    _fragment_runs: int = 0
    _responses: dict[str, Any] = field(default_factory=dict)
    _blocks: list[tuple[int, ...]] = field(default_factory=list)  # containers drawn this run
    _closed_reason: str = ""

    # ---- connecting -------------------------------------------------------------------------
    @classmethod
    async def open(
        cls, base_url: str, page: str = "", timeout: float = 60.0, poll_fragments: bool = True
    ) -> Session:
        """Connect like a browser opening `base_url/page` and wait for the first run to finish."""
        session = cls(base_url.rstrip("/"), page, timeout, poll_fragments=poll_fragments)
        await session._connect()
        await session.rerun()
        return session

    async def _connect(self) -> None:
        host = urlsplit(self.base_url).hostname
        if host not in LOCAL_HOSTS:
            raise ValueError(f"st_client talks to localhost only, not {self.base_url}")
        status, cookies, _ = await asyncio.to_thread(
            _http, "GET", f"{self.base_url}/_stcore/health"
        )
        if status != 200:
            raise StreamlitClientError(f"health check answered {status}")
        self._xsrf = cookies.get("_streamlit_xsrf") or self._xsrf
        ws_url = "ws" + self.base_url[len("http") :] + "/_stcore/stream"
        protocols = ["streamlit", self._xsrf] if self._xsrf else ["streamlit"]
        self._ws = await asyncio.wait_for(
            connect(
                ws_url,
                subprotocols=protocols,
                origin=self.base_url,
                additional_headers={"Cookie": f"_streamlit_xsrf={self._xsrf}"}
                if self._xsrf
                else None,
                max_size=256 * 2**20,
                proxy=None,
                compression=None,
                open_timeout=self.timeout,
            ),
            self.timeout,
        )
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())
        if self.poll_fragments:
            self._poller = asyncio.create_task(self._poll())

    async def close(self) -> None:
        """Close the tab (the server sees the websocket go away)."""
        for task in (self._poller, self._reader):
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 10)

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # ---- receiving --------------------------------------------------------------------------
    async def _read(self) -> None:
        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                await self._handle(msg)
        except Exception as error:  # the connection closed: wake every waiter
            self._closed_reason = f"websocket closed: {error!r}"
        else:
            self._closed_reason = "websocket closed by the server"
        async with self._changed:
            self._changed.notify_all()

    async def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.session_id = msg.new_session.initialize.session_id or self.session_id
            self.runs += 1
            if not msg.metadata.run.fragment_ids:  # a full run registers its fragments anew
                self.fragments = {}
            self._running = True
        elif kind == "delta":
            self._apply_delta(msg)
        elif kind == "session_status_changed":
            self._running = msg.session_status_changed.script_is_running
        elif kind == "script_finished":
            status = msg.script_finished
            self.last_status = status
            if status == FINISHED.FINISHED_SUCCESSFULLY:
                self.elements = {p: e for p, e in self.elements.items() if e.run == self.runs}
            if status == FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                self._fragment_runs += 1
                self._drop_stale_in_blocks()
            self._blocks = []
            if status != FINISHED.FINISHED_EARLY_FOR_RERUN:
                self._pending = max(0, self._pending - 1)
                self._running = False
        elif kind == "auto_rerun":
            self.fragments[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            self.fragments.pop(msg.stop_auto_rerun.fragment_id, None)
        elif kind == "navigation":  # with st.navigation, the page actually shown
            self.page_script_hash = msg.navigation.page_script_hash or self.page_script_hash
        elif kind == "page_not_found":
            self.page_not_found = True
        elif kind == "file_urls_response":
            self._responses[msg.file_urls_response.response_id] = msg.file_urls_response
        async with self._changed:
            self._changed.notify_all()

    def _apply_delta(self, msg: ForwardMsg) -> None:
        path = tuple(msg.metadata.delta_path)
        delta = msg.delta
        if delta.WhichOneof("type") == "new_element":
            element = delta.new_element
            kind = element.WhichOneof("type")
            if kind:
                self.elements[path] = Element(
                    kind, getattr(element, kind), path, self.runs, delta.fragment_id
                )
        elif delta.WhichOneof("type") == "add_block":
            self._blocks.append(path)

    def _drop_stale_in_blocks(self) -> None:
        """After a fragment run: what its containers held and it did not redraw is gone."""
        for block in self._blocks:
            self.elements = {
                p: e
                for p, e in self.elements.items()
                if p[: len(block)] != block or e.run == self.runs
            }

    # ---- sending ----------------------------------------------------------------------------
    async def _send(self, back: BackMsg) -> None:
        if self._closed_reason:
            raise StreamlitClientError(self._closed_reason)
        await self._ws.send(back.SerializeToString())

    def _client_state(self, fragment_id: str = "") -> ClientState:
        state = ClientState(
            page_name=self.page, page_script_hash=self.page_script_hash, fragment_id=fragment_id
        )
        present = {e.id for e in self.elements.values() if e.id}
        for widget_id, value in self._values.items():
            if not present or widget_id in present:
                state.widget_states.widgets.append(value)
        state.widget_states.widgets.extend(self._triggers)
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-US"
        state.context_info.url = f"{self.base_url}/{self.page}"
        return state

    async def rerun(self, fragment_id: str = "", wait: bool = True, auto: bool = True) -> None:
        """Run the script (or one fragment) again with the current widget values."""
        back = BackMsg()
        back.rerun_script.CopyFrom(self._client_state(fragment_id))
        if fragment_id and auto:
            back.rerun_script.is_auto_rerun = True
        self._triggers = []
        self._pending += 1
        await self._send(back)
        if wait:
            await self.wait_idle()

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Wait until every requested run has finished; raise if the page broke."""
        await self.wait_for(lambda s: s._pending == 0, timeout)

    async def wait_for(self, predicate: Callable[[Session], Any], timeout: float | None = None):
        """Wait (receiving, answering fragment reruns) until predicate(self) is truthy."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                result = predicate(self)
                if result:
                    return result
                if self._closed_reason:
                    raise StreamlitClientError(self._closed_reason)
                if self.page_not_found:
                    raise StreamlitClientError(f"page not found: {self.page!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"not reached in {timeout:.0f} s on {self.page!r}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(left, 1.0))

    async def _poll(self) -> None:
        """Answer `st.fragment(run_every=...)` as the browser does, while the tab is idle."""
        last: dict[str, float] = {}
        while not self._closed_reason:
            await asyncio.sleep(0.05)
            if self._pending or self._running:
                continue
            now = time.monotonic()
            for fragment_id, interval in list(self.fragments.items()):
                if now - last.get(fragment_id, 0.0) >= interval:
                    last[fragment_id] = now
                    with contextlib.suppress(StreamlitClientError):
                        await self.rerun(fragment_id, wait=False)
                    break

    # ---- reading the page -------------------------------------------------------------------
    def find(self, kind: str | None = None, label: str | None = None) -> list[Element]:
        """Elements in page order, filtered by kind and by (part of) their label."""
        found = [
            e
            for _, e in sorted(self.elements.items())
            if (kind is None or e.kind == kind) and (label is None or label in e.label)
        ]
        return found

    def widget(self, label: str, kind: str | None = None) -> Element:
        """The one widget whose label contains `label` (exact label preferred)."""
        found = [e for e in self.find(kind, label) if e.kind in WIDGETS]
        exact = [e for e in found if e.label == label]
        if exact:
            return exact[0]
        if not found:
            labels = sorted({e.label for e in self.elements.values() if e.kind in WIDGETS})
            raise KeyError(f"no widget labelled {label!r}; widgets: {labels}")
        return found[0]

    def texts(self) -> list[str]:
        return [e.text for e in self.find() if e.text]

    @property
    def exceptions(self) -> list[str]:
        """Tracebacks shown on the page (a student must never see one)."""
        return [f"{e.proto.type}: {e.proto.message}" for e in self.find("exception")]

    @property
    def error_alerts(self) -> list[str]:
        return [e.text for e in self.find("alert") if e.proto.format == 1]

    # ---- acting -----------------------------------------------------------------------------
    def _state_for(self, element: Element, value: Any) -> WidgetState:
        state = WidgetState(id=element.id)
        proto = element.proto
        if element.kind in ("checkbox",):
            state.bool_value = bool(value)
        elif element.kind == "slider":
            if proto.options:  # select_slider: the options' labels
                values = value if isinstance(value, (list, tuple)) else [value]
                state.string_array_value.data[:] = [str(v) for v in values]
            else:
                values = value if isinstance(value, (list, tuple)) else [value]
                state.double_array_value.data[:] = [float(v) for v in values]
        elif element.kind in ("selectbox", "radio"):
            options = list(proto.options)
            label = options[value] if isinstance(value, int) else str(value)
            if label not in options:
                raise ValueError(f"{label!r} is not one of {options}")
            state.string_value = label
        elif element.kind == "number_input":
            if proto.data_type == proto.INT:
                state.int_value = int(value)
            else:
                state.double_value = float(value)
        elif element.kind in ("text_input", "text_area"):
            state.string_value = str(value)
        elif element.kind == "multiselect":
            state.string_array_value.data[:] = [str(v) for v in value]
        else:
            raise ValueError(f"cannot set a {element.kind} (use click/upload)")
        return state

    async def set(self, label: str, value: Any, kind: str | None = None, wait: bool = True):
        """Set a widget (slider, selectbox/radio by option label or index, number, checkbox)."""
        element = self.widget(label, kind)
        self._values[element.id] = self._state_for(element, value)
        await self.rerun(wait=wait)

    async def click(self, label: str, wait: bool = True) -> None:
        """Press a button (inside a fragment, only that fragment reruns, as in the browser)."""
        element = self.widget(label, "button")
        self._triggers.append(WidgetState(id=element.id, trigger_value=True))
        await self.rerun(element.fragment_id, wait=wait, auto=False)

    async def upload(
        self, label: str, name: str, data: bytes, mime: str = "image/jpeg", wait: bool = True
    ) -> int:
        """Upload one file into a file_uploader as the frontend does; returns the HTTP status.

        A refused upload (413 for a file over server.maxUploadSize) is returned, not raised;
        the widget then keeps no file, as in the browser.
        """
        element = self.widget(label, "file_uploader")
        request_id = uuid.uuid4().hex
        back = BackMsg()
        back.file_urls_request.request_id = request_id
        back.file_urls_request.file_names.append(name)
        back.file_urls_request.session_id = self.session_id
        await self._send(back)
        response = await self.wait_for(lambda s: s._responses.pop(request_id, None))
        if response.error_msg:
            raise StreamlitClientError(response.error_msg)
        urls = response.file_urls[0]
        body, content_type = multipart(name, data, mime)
        upload_url = urls.upload_url
        if upload_url.startswith("/"):
            upload_url = self.base_url + upload_url
        headers = {"Content-Type": content_type}
        if self._xsrf:
            headers |= {"X-Xsrftoken": self._xsrf, "Cookie": f"_streamlit_xsrf={self._xsrf}"}
        status, _, _ = await asyncio.to_thread(_http, "PUT", upload_url, body, headers)
        if status not in (200, 204):
            return status
        uploaded = FileUploaderState()
        info = uploaded.uploaded_file_info.add(name=name, size=len(data), file_id=urls.file_id)
        info.file_urls.CopyFrom(urls)
        state = WidgetState(id=element.id)
        state.file_uploader_state_value.CopyFrom(uploaded)
        self._values[element.id] = state
        await self.rerun(wait=wait)
        return status
