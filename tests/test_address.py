"""cnnviz.address: the address students open, read from this computer's adapters (no traffic)."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest

from cnnviz import address
from cnnviz.i18n import t

ROOT = Path(__file__).resolve().parents[1]


def interfaces(monkeypatch, **adapters: list[str] | tuple[list[str], bool]) -> None:
    """This computer's network adapters as psutil lists them: a name, its addresses (IPv4,
    IPv6 or a MAC address) and whether it is up (default: up)."""
    table, stats = {}, {}
    for name, spec in adapters.items():
        addresses, up = spec if isinstance(spec, tuple) else (spec, True)
        table[name] = [
            SimpleNamespace(family=socket.AF_INET6 if ":" in a else socket.AF_INET, address=a)
            for a in addresses
        ]
        stats[name] = SimpleNamespace(isup=up)
    monkeypatch.setattr(address.psutil, "net_if_addrs", lambda: table)
    monkeypatch.setattr(address.psutil, "net_if_stats", lambda: stats)


def test_the_lan_address_is_one_of_this_computers_own_and_not_loopback():
    found = address.lan_address()
    if found is None:
        pytest.skip("this computer is on no network")
    assert ipaddress.ip_address(found).version == 4
    assert address.reachable_by_others(found)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((found, 0))  # only an address of one of this computer's interfaces binds


def test_finding_the_address_opens_no_socket(monkeypatch):
    def no_socket(*args: object, **kwargs: object) -> None:
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket, "socket", no_socket)
    monkeypatch.setattr(socket, "getaddrinfo", no_socket)
    monkeypatch.setattr(socket, "gethostbyname_ex", no_socket)
    interfaces(monkeypatch, lo=["127.0.0.1", "::1"], eth0=["192.168.1.23"])
    assert address.lan_address() == "192.168.1.23"


def test_loopback_link_local_and_ipv6_addresses_are_never_given_to_students(monkeypatch):
    interfaces(
        monkeypatch, lo=["127.0.0.1", "::1"], eth0=["169.254.3.4", "fe80::1", "fd00::2"],
        wlan0=["10.0.0.7"],
    )  # fmt: skip
    assert address.lan_addresses() == ["10.0.0.7"]


def test_a_real_adapter_comes_before_docker_and_virtualbox(monkeypatch):
    interfaces(
        monkeypatch, docker0=["172.17.0.1"], vboxnet0=["192.168.56.1"], wlp2s0=["192.168.1.23"],
    )  # fmt: skip
    assert address.lan_address() == "192.168.1.23"
    assert address.lan_addresses()[1:] == ["172.17.0.1", "192.168.56.1"]


def test_windows_adapter_names_are_ranked_the_same(monkeypatch):
    interfaces(
        monkeypatch, **{"vEthernet (WSL)": ["172.28.0.1"], "Wi-Fi": ["192.168.0.12"]}
    )  # fmt: skip
    assert address.lan_address() == "192.168.0.12"


def test_a_private_address_comes_before_a_public_one(monkeypatch):
    interfaces(monkeypatch, eth0=["203.0.114.9"], eth1=["10.1.2.3"])
    assert address.lan_addresses() == ["10.1.2.3", "203.0.114.9"]


def test_an_adapter_that_is_down_is_skipped(monkeypatch):
    interfaces(monkeypatch, eth0=(["192.168.1.23"], False), wlan0=["10.0.0.7"])
    assert address.lan_address() == "10.0.0.7"


def test_offline_there_is_no_address_and_the_line_says_only_this_computer(monkeypatch):
    interfaces(monkeypatch, lo=["127.0.0.1", "::1"])
    assert address.lan_address() is None
    line = address.students_line(8501)
    assert line == t("address.no_network", url="http://localhost:8501")
    assert "http://localhost:8501" in line


def test_an_os_that_refuses_to_list_its_adapters_gives_no_address(monkeypatch):
    def refused() -> None:
        raise psutil.AccessDenied()

    monkeypatch.setattr(address.psutil, "net_if_addrs", refused)
    assert address.lan_address() is None


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_line_gives_the_url_and_the_port_to_allow(monkeypatch, lang):
    interfaces(monkeypatch, eth0=["192.168.1.23"])
    line = address.students_line(8501, "", lang)
    assert line == t("address.students_open", lang, url="http://192.168.1.23:8501", port=8501)
    assert "http://192.168.1.23:8501" in line and line.count("8501") == 2


def test_the_english_line_reads_as_the_teacher_needs_it(monkeypatch):
    interfaces(monkeypatch, eth0=["192.168.1.23"])
    assert address.students_line(8501) == (
        "Students open: http://192.168.1.23:8501 (allow port 8501 through the firewall)"
    )


@pytest.mark.parametrize("listen", ["", "0.0.0.0", "::"])
def test_a_server_on_every_interface_gives_the_lan_address(monkeypatch, listen):
    interfaces(monkeypatch, eth0=["192.168.1.23"])
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

    interfaces(monkeypatch, eth0=["192.168.1.23"])
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


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_server_with_a_certificate_gives_an_https_address(monkeypatch, lang):
    interfaces(monkeypatch, eth0=["192.168.1.23"])
    line = address.students_line(8501, "", lang, secure=True)
    assert line == t("address.students_open", lang, url="https://192.168.1.23:8501", port=8501)
    assert "https://[fd00::1]:8443" in address.students_line(8443, "fd00::1", secure=True)


def test_a_server_started_with_a_certificate_prints_https(capfd, monkeypatch, tmp_path):
    from streamlit import config

    from cnnviz import tls
    from cnnviz.ui import address as ui_address

    interfaces(monkeypatch, eth0=["192.168.1.23"])
    cert_path, key_path = tls.make_certificate(tmp_path)
    ui_address._print_once.clear()
    config.set_option("server.sslCertFile", str(cert_path))  # as `--server.sslCertFile` sets it
    config.set_option("server.sslKeyFile", str(key_path))
    try:
        ui_address.print_students_address()
    finally:
        config.set_option("server.sslCertFile", None)
        config.set_option("server.sslKeyFile", None)
        ui_address._print_once.clear()
    printed = capfd.readouterr().out.splitlines()
    assert printed == [address.students_line(8501, "", lang, secure=True) for lang in ("en", "ko")]
    assert "https://192.168.1.23:8501" in printed[0]


@pytest.mark.parametrize(
    "url, secure",
    [
        ("https://192.168.1.23:8501/features", True),
        ("https://classroom.test:8501", True),
        ("http://localhost:8501/features", True),
        ("http://LOCALHOST.:8501", True),
        ("http://app.localhost:8501", True),
        ("http://127.0.0.1:8501", True),
        ("http://127.8.9.10:8501", True),
        ("http://[::1]:8501", True),
        ("http://192.168.1.23:8501/features", False),
        ("http://classroom.test:8501", False),
        ("http://[fd00::1]:8501", False),
        ("http://localhost.example.com:8501", False),
        (None, None),
        ("", None),
    ],
)  # fmt: skip
def test_a_page_is_secure_over_https_or_on_this_computer_as_browsers_decide(url, secure):
    assert address.secure_page(url) is secure
