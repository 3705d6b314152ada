"""cnnviz.address: the address students open, found without network traffic, with fallbacks."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cnnviz import address
from cnnviz.i18n import t

ROOT = Path(__file__).resolve().parents[1]


class RoutedFrom:
    """A stand-in for socket.socket whose connect() routes from `source` (or, with None, finds
    no route, as on a computer with no network)."""

    def __init__(self, source: str | None) -> None:
        self.source = source

    def __call__(self, *args: object) -> RoutedFrom:
        return self

    def __enter__(self) -> RoutedFrom:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def connect(self, destination: tuple[str, int]) -> None:
        assert ipaddress.ip_address(destination[0]).is_private  # never a public address
        if self.source is None:
            raise OSError(errno.ENETUNREACH, "Network is unreachable")

    def getsockname(self) -> tuple[str, int]:
        return (self.source, 40000)


def own_name_resolves_to(monkeypatch, *addresses: str) -> None:
    monkeypatch.setattr(address.socket, "gethostname", lambda: "classroom-pc")
    monkeypatch.setattr(address.socket, "gethostbyname_ex", lambda n: (n, [], list(addresses)))


def test_the_lan_address_is_one_of_this_computers_own_and_not_loopback():
    found = address.lan_address()
    if found is None:
        pytest.skip("this computer is on no network")
    assert ipaddress.ip_address(found).version == 4
    assert address.reachable_by_others(found)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((found, 0))  # only an address of one of this computer's interfaces binds


def test_the_routed_address_comes_first(monkeypatch):
    monkeypatch.setattr(address.socket, "socket", RoutedFrom("192.168.1.23"))
    own_name_resolves_to(monkeypatch, "10.0.0.7")
    assert address.lan_address() == "192.168.1.23"


def test_without_a_route_the_address_of_the_computers_own_name_is_used(monkeypatch):
    monkeypatch.setattr(address.socket, "socket", RoutedFrom(None))
    own_name_resolves_to(monkeypatch, "127.0.1.1", "192.168.1.23")  # Debian's /etc/hosts first
    assert address.lan_address() == "192.168.1.23"


def test_a_loopback_route_is_never_given_to_students(monkeypatch):
    monkeypatch.setattr(address.socket, "socket", RoutedFrom("127.0.0.1"))
    own_name_resolves_to(monkeypatch, "172.16.4.2")
    assert address.lan_address() == "172.16.4.2"


def test_offline_there_is_no_address_and_the_line_says_only_this_computer(monkeypatch):
    monkeypatch.setattr(address.socket, "socket", RoutedFrom(None))
    own_name_resolves_to(monkeypatch, "127.0.0.1")
    assert address.lan_address() is None
    line = address.students_line(8501)
    assert line == t("address.no_network", url="http://localhost:8501")
    assert "http://localhost:8501" in line


def test_a_name_that_does_not_resolve_is_no_address(monkeypatch):
    monkeypatch.setattr(address.socket, "socket", RoutedFrom(None))

    def unknown(name: str) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(address.socket, "gethostbyname_ex", unknown)
    assert address.lan_address() is None


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_line_gives_the_url_and_the_port_to_allow(monkeypatch, lang):
    monkeypatch.setattr(address.socket, "socket", RoutedFrom("192.168.1.23"))
    line = address.students_line(8501, "", lang)
    assert line == t("address.students_open", lang, url="http://192.168.1.23:8501", port=8501)
    assert "http://192.168.1.23:8501" in line and line.count("8501") == 2


def test_the_english_line_reads_as_the_teacher_needs_it(monkeypatch):
    monkeypatch.setattr(address.socket, "socket", RoutedFrom("192.168.1.23"))
    assert address.students_line(8501) == (
        "Students open: http://192.168.1.23:8501 (allow port 8501 through the firewall)"
    )


@pytest.mark.parametrize("listen", ["", "0.0.0.0", "::"])
def test_a_server_on_every_interface_gives_the_lan_address(monkeypatch, listen):
    monkeypatch.setattr(address.socket, "socket", RoutedFrom("192.168.1.23"))
    assert "http://192.168.1.23:8502" in address.students_line(8502, listen)


def test_a_server_on_one_address_gives_that_address():
    assert "http://192.168.7.1:8501" in address.students_line(8501, "192.168.7.1")
    assert "http://[fd00::1]:8501" in address.students_line(8501, "fd00::1")


@pytest.mark.parametrize("listen", ["127.0.0.1", "localhost", "::1"])
def test_a_server_on_loopback_says_students_cannot_connect(listen):
    line = address.students_line(8501, listen)
    assert line == t("address.this_computer_only", address=listen)
    assert "http://" not in line


def test_the_server_prints_the_lines_once_in_both_languages(capfd, monkeypatch):
    from cnnviz.ui import address as ui_address

    monkeypatch.setattr(address.socket, "socket", RoutedFrom("192.168.1.23"))
    ui_address._print_once.clear()
    ui_address.print_students_address()
    ui_address.print_students_address()  # app.py's next run: nothing more
    printed = capfd.readouterr().out.splitlines()
    assert printed == [address.students_line(8501, "", lang) for lang in ("en", "ko")]
    ui_address._print_once.clear()


# a main script like app.py: it prints the address on every run, and starts a worker
STARTS_A_WORKER = """
import multiprocessing, time
from cnnviz.ui.address import print_students_address

print_students_address()
if __name__ == "__main__":
    worker = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(0,))
    worker.start()
    worker.join(60)
    print("worker exit code", worker.exitcode)
"""


def test_a_worker_that_imports_the_main_script_again_prints_nothing(tmp_path):
    script = tmp_path / "main_script.py"
    script.write_text(STARTS_A_WORKER)
    run = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    printed = run.stdout.splitlines()
    assert printed[-1] == "worker exit code 0", run.stdout + run.stderr
    assert sum("8501" in line for line in printed) == 2  # English and Korean, once: the server's
