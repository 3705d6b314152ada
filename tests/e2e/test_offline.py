"""The whole lesson works with the outside network cut off, and the server never tries to reach it.

Two layers, so a pass means something on any machine:
- a socket guard: a `sitecustomize.py` on the server's PYTHONPATH wraps socket connect/sendto and
  name lookups; any attempt to reach something other than this machine is written to a log and
  refused (as an offline machine would). The walk must leave the log empty.
- where Linux network namespaces are allowed (`unshare -rn`), the same walk runs again inside one
  with only a loopback interface: the server, the browser and the test have no route out at all.
Only one of the two walks runs: the namespace one where it can, else the guarded one directly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench.st_client import serve
from tests.e2e.conftest import ROOT, new_page, screenshot, wait_idle
from tests.e2e.test_walkthrough import (
    ERROR_ALERT,
    IMAGE,
    assert_clean,
    is_placeholder,
    open_lesson,
    pick_option,
    widget,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

INNER = "CNNVIZ_OFFLINE_INNER"  # set when this file runs inside the network namespace
GUARD = textwrap.dedent(
    '''
    """Log and refuse every attempt to reach a host other than this machine (cnnviz offline test)."""
    import ipaddress
    import os
    import socket
    import traceback

    LOG = os.environ.get("CNNVIZ_NET_LOG")
    LOCAL_NAMES = {None, "", "localhost", "localhost.localdomain", "ip6-localhost"}


    def _local(host):
        if isinstance(host, bytes):
            host = host.decode(errors="replace")
        if host in LOCAL_NAMES:
            return True
        try:
            address = ipaddress.ip_address(str(host).split("%")[0])
        except ValueError:
            return False
        return address.is_loopback or address.is_unspecified


    def _attempt(what, target):
        stack = "".join(traceback.format_stack(limit=12)[:-2])
        with open(LOG, "a") as log:
            log.write(f"{os.getpid()} {what} {target!r}\\n{stack}\\n")


    if LOG:
        _connect, _connect_ex, _sendto = (
            socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto
        )
        _getaddrinfo = socket.getaddrinfo

        def _check(sock, address, what):
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
                _attempt(what, address)
                raise OSError(101, "Network is unreachable (cnnviz offline test)")

        def connect(self, address):
            _check(self, address, "connect")
            return _connect(self, address)

        def connect_ex(self, address):
            _check(self, address, "connect_ex")
            return _connect_ex(self, address)

        def sendto(self, data, *args):
            _check(self, args[-1], "sendto")
            return _sendto(self, data, *args)

        def getaddrinfo(host, *args, **kwargs):
            if not _local(host):
                _attempt("getaddrinfo", host)
                raise socket.gaierror(socket.EAI_NONAME, "offline (cnnviz offline test)")
            return _getaddrinfo(host, *args, **kwargs)

        socket.socket.connect = connect
        socket.socket.connect_ex = connect_ex
        socket.socket.sendto = sendto
        socket.getaddrinfo = getaddrinfo
    '''
)
# Runs first inside the namespace: bring the loopback interface up (no `ip` tool needed).
LOOPBACK_UP = textwrap.dedent(
    """
    import fcntl, os, socket, struct, sys
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    request = struct.pack("16sH14s", b"lo", 0, bytes(14))
    flags = struct.unpack("16sH14s", fcntl.ioctl(sock, 0x8913, request))[1]
    fcntl.ioctl(sock, 0x8914, struct.pack("16sH14s", b"lo", flags | 1, bytes(14)))
    os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
    """
)


def namespaces_work() -> bool:
    """Whether this machine lets us make a network namespace with loopback only."""
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "-rn", sys.executable, "-c", LOOPBACK_UP, "-c", "pass"],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


NAMESPACES = namespaces_work() if not os.environ.get(INNER) else False


def guard_env(folder: Path) -> tuple[dict, Path]:
    """Environment that loads the socket guard from `folder`, and the guard's log file."""
    (folder / "sitecustomize.py").write_text(GUARD)
    log = folder / "network-attempts.log"
    log.touch()
    env = {
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)]),
        "CNNVIZ_NET_LOG": str(log),
        "NO_PROXY": "*",
    }
    return env, log


@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory):
    """The app with the socket guard loaded: (url, guard log, server).

    Inside the namespace it starts as a teacher starts it for a class, listening on every
    interface, so that only .streamlit/config.toml keeps Streamlit from looking up addresses.
    """
    env, log = guard_env(tmp_path_factory.mktemp("offline"))
    address = None if os.environ.get(INNER) else "127.0.0.1"
    with serve(env=env, address=address, log_path=log.parent / "server.log") as server:
        yield server.url, log, server


def test_the_guard_logs_and_refuses_what_streamlit_would_look_up(tmp_path):
    """Sanity check of the guard itself: Streamlit's own address lookups are caught, and refused
    before anything leaves the machine."""
    env, log = guard_env(tmp_path)
    probe = (
        "from streamlit import net_util\n"
        "print(net_util.get_internal_ip(), net_util.get_external_ip())\n"
        "import socket\n"
        "try:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\n"
        "except OSError as error:\n    print('refused', error.errno)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env={**os.environ, **env}, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert "127.0.0.1 None" in done.stdout, done.stdout + done.stderr
    assert "refused" in done.stdout
    attempts = log.read_text()
    assert "connect ('8.8.8.8', 1)" in attempts  # get_internal_ip's UDP "connection"
    assert "getaddrinfo 'checkip.amazonaws.com'" in attempts  # get_external_ip
    assert "192.0.2.1" in attempts


def walk_the_lesson(page, url: str) -> None:
    """Every page as a student uses it, with what each needs that could come from outside."""
    open_lesson(page, url, "")
    open_lesson(page, url, "convolution")
    pick_option(page, "conv_source", 1)  # a sample photo shipped in assets/
    page.locator('[data-testid="stMain"]').locator(IMAGE).nth(1).wait_for(timeout=30_000)
    assert_clean(page)
    for url_path in ("padding", "pooling"):
        open_lesson(page, url, url_path)

    open_lesson(page, url, "train")
    if not is_placeholder(page):
        assert_clean(page)

    open_lesson(page, url, "features")  # the shipped CNN on a test digit
    widget(page, "features_top").locator(".js-plotly-plot").wait_for(timeout=60_000)
    assert_clean(page)
    assert page.locator(ERROR_ALERT).count() == 0

    open_lesson(page, url, "rotation")  # both shipped models, accuracy curves over test digits
    widget(page, "rotation_curve_angle").locator(".js-plotly-plot").wait_for(timeout=120_000)
    wait_idle(page, timeout=120_000)
    assert_clean(page)
    screenshot(page, "offline-rotation")


@pytest.mark.skipif(NAMESPACES, reason="runs inside a network namespace instead (next test)")
def test_walk_with_outside_network_refused(browser, guarded_server):
    url, log, server = guarded_server
    page = new_page(browser)
    context = page.context
    try:
        walk_the_lesson(page, url)
    finally:
        context.close()
    attempts = log.read_text()
    assert attempts == "", f"the server tried to reach the network:\n{attempts}"
    assert server.process.poll() is None, "the server stopped"
    assert "Traceback" not in server.log(), server.log()[-3000:]


@pytest.mark.skipif(not NAMESPACES, reason="network namespaces (unshare -rn) are not allowed here")
def test_walk_in_a_network_namespace_with_loopback_only():
    inner = [
        "unshare", "-rn", sys.executable, "-c", LOOPBACK_UP,
        "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
        f"{Path(__file__).relative_to(ROOT)}::test_walk_with_outside_network_refused",
    ]  # fmt: skip
    done = subprocess.run(
        inner,
        cwd=ROOT,
        env={**os.environ, INNER: "1"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = done.stdout[-6000:] + done.stderr[-3000:]
    assert done.returncode == 0, output
    assert "1 passed" in done.stdout, output
