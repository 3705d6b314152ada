"""cnnviz.tls and `python -m cnnviz.https`: a certificate for this computer that a TLS client
really accepts for its names and addresses, reused while valid, and the exact streamlit line."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shlex
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from cnnviz import address, i18n, tls
from cnnviz.i18n import t
from tests.test_address import interfaces

ROOT = Path(__file__).resolve().parents[1]


def load(cert_path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(cert_path.read_bytes())


def san(cert_path: Path) -> x509.SubjectAlternativeName:
    return load(cert_path).extensions.get_extension_for_class(x509.SubjectAlternativeName).value


def handshake(cert_path: Path, key_path: Path, server_name: str) -> str:
    """Serve one TLS handshake on loopback with this certificate and key, as a browser that
    trusts the certificate connects to `server_name`; returns "ok" or the client's error."""
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert_path, key_path)
    client_side = ssl.create_default_context(cafile=str(cert_path))  # checks the name too
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def accept() -> None:
            connection, _ = listener.accept()
            try:
                with server_side.wrap_socket(connection, server_side=True):
                    pass
            except (ssl.SSLError, OSError):  # the client refused the certificate
                connection.close()

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            with (
                socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
                client_side.wrap_socket(raw, server_hostname=server_name),
            ):
                return "ok"
        except ssl.SSLCertVerificationError as error:
            return error.verify_message
        finally:
            thread.join(10)


def test_the_certificate_names_this_computer_localhost_and_every_lan_address(tmp_path, monkeypatch):
    interfaces(monkeypatch, lo=["127.0.0.1"], eth0=["192.168.1.23"], wlan0=["10.0.0.7"])
    cert_path, _ = tls.make_certificate(tmp_path, hosts=["classroom.test", "fd00::5"])
    names = san(cert_path)
    dns = names.get_values_for_type(x509.DNSName)
    ips = names.get_values_for_type(x509.IPAddress)
    hostname = socket.gethostname().lower()
    assert {hostname, "localhost", "classroom.test"} <= set(dns)
    assert set(ips) == {ipaddress.ip_address(a) for a in
                        ("127.0.0.1", "192.168.1.23", "10.0.0.7", "fd00::5")}  # fmt: skip
    for name in dns:  # a browser matches an address only against an IP-address entry
        with pytest.raises(ValueError):
            ipaddress.ip_address(name)


def test_a_client_that_trusts_it_accepts_it_for_each_name_and_address_and_no_other(
    tmp_path, monkeypatch
):
    interfaces(monkeypatch, eth0=["192.168.1.23"])
    cert_path, key_path = tls.make_certificate(tmp_path, hosts=["classroom.test"])
    for name in ("classroom.test", "localhost", "127.0.0.1", "192.168.1.23"):
        assert handshake(cert_path, key_path, name) == "ok", name
    assert "mismatch" in handshake(cert_path, key_path, "elsewhere.test")
    assert "mismatch" in handshake(cert_path, key_path, "192.168.1.99")


def test_it_is_self_signed_for_a_server_and_valid_from_now_for_825_days(tmp_path):
    cert_path, key_path = tls.make_certificate(tmp_path)
    certificate = load(cert_path)
    certificate.verify_directly_issued_by(certificate)  # raises unless signed by its own key
    now = dt.datetime.now(dt.UTC)
    assert certificate.not_valid_before_utc <= now
    lasts = certificate.not_valid_after_utc - now
    assert dt.timedelta(days=824) < lasts <= dt.timedelta(days=825)
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.value.ca is False and constraints.critical
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.SERVER_AUTH in usage


def test_the_key_file_holds_the_certificates_key(tmp_path):
    cert_path, key_path = tls.make_certificate(tmp_path)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    der = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(*der) == load(cert_path).public_key().public_bytes(*der)


@pytest.mark.skipif(os.name == "nt", reason="Windows has no file modes")
def test_only_the_owner_may_read_the_key(tmp_path):
    _, key_path = tls.make_certificate(tmp_path)
    assert key_path.stat().st_mode & 0o777 == 0o600
    key_path.chmod(0o644)
    key_path.write_bytes(b"damaged")  # a new key is made, and gets the owner-only mode again
    _, key_path = tls.make_certificate(tmp_path)
    assert key_path.stat().st_mode & 0o777 == 0o600


def test_a_valid_certificate_for_the_same_hosts_is_reused_not_made_again(tmp_path):
    first = [p.read_bytes() for p in tls.make_certificate(tmp_path, hosts=["classroom.test"])]
    again = [p.read_bytes() for p in tls.make_certificate(tmp_path, hosts=["classroom.test"])]
    fewer = [p.read_bytes() for p in tls.make_certificate(tmp_path)]  # covered already
    assert again == first and fewer == first


def test_a_new_host_a_certificate_near_its_end_or_a_damaged_key_makes_a_new_one(tmp_path):
    cert_path, key_path = tls.make_certificate(tmp_path)
    before = cert_path.read_bytes()
    cert_path, _ = tls.make_certificate(tmp_path, hosts=["classroom.test"])
    assert cert_path.read_bytes() != before
    assert "classroom.test" in tls.hosts_of(load(cert_path))

    tls.make_certificate(tmp_path / "short", days=10)  # ends within RENEW_BEFORE (30 days)
    short = (tmp_path / "short" / tls.CERT_FILE).read_bytes()
    assert not tls.reusable(
        tmp_path / "short" / tls.CERT_FILE, tmp_path / "short" / tls.KEY_FILE, []
    )
    tls.make_certificate(tmp_path / "short")
    assert (tmp_path / "short" / tls.CERT_FILE).read_bytes() != short

    other_key = (tmp_path / "short" / tls.KEY_FILE).read_bytes()
    key_path.write_bytes(other_key)  # a key that is not this certificate's
    assert not tls.reusable(cert_path, key_path, [])
    cert_path, key_path = tls.make_certificate(tmp_path)
    assert handshake(cert_path, key_path, "localhost") == "ok"


def test_hosts_are_written_as_their_san_entries():
    assert tls.san_entry("Classroom.TEST.") == "classroom.test"
    assert tls.san_entry("[fd00::5]") == "fd00::5"
    assert tls.san_entry("선생님-pc") == "선생님-pc".encode("idna").decode()  # a Korean PC name
    assert tls.san_entry("선생님-pc").startswith("xn--")
    for not_a_host in ("", "  ", "bad_name", "https://x.test", "a b"):
        assert tls.san_entry(not_a_host) == "", not_a_host


def test_every_host_is_listed_once_this_computer_first(monkeypatch):
    interfaces(monkeypatch, eth0=["192.168.1.23"])
    hosts = tls.certificate_hosts(["LOCALHOST", "192.168.1.23", "classroom.test"])
    assert hosts[0] == socket.gethostname().lower()
    assert len(hosts) == len(set(hosts))
    assert hosts[-1] == "classroom.test" and "192.168.1.23" in hosts


def test_the_streamlit_line_is_exact_and_quotes_paths_with_spaces_for_the_platform():
    cert, key = "/Users/Kim Lee/cnnviz/cnnviz-cert.pem", "/Users/Kim Lee/cnnviz/cnnviz-key.pem"
    words = tls.streamlit_command(cert, key, port=8502)
    assert words == [
        "streamlit", "run", "app.py", "--server.port", "8502",
        "--server.sslCertFile", cert, "--server.sslKeyFile", key,
    ]  # fmt: skip
    line = tls.command_line(words, platform="darwin")
    assert line == (
        "streamlit run app.py --server.port 8502 --server.sslCertFile "
        "'/Users/Kim Lee/cnnviz/cnnviz-cert.pem' --server.sslKeyFile "
        "'/Users/Kim Lee/cnnviz/cnnviz-key.pem'"
    )
    assert shlex.split(line) == words  # what the shell gives streamlit back
    windows = tls.streamlit_command(r"C:\Users\Kim Lee\AppData\Roaming\cnnviz\cnnviz-cert.pem",
                                    r"C:\Users\Kim\key.pem")  # fmt: skip
    assert tls.command_line(windows, platform="win32") == (
        "streamlit run app.py --server.port 8501 --server.sslCertFile "
        '"C:\\Users\\Kim Lee\\AppData\\Roaming\\cnnviz\\cnnviz-cert.pem" '
        "--server.sslKeyFile C:\\Users\\Kim\\key.pem"
    )


@pytest.mark.parametrize(
    "platform, environ, expected",
    [
        ("win32", {"APPDATA": r"C:\Users\kim\AppData\Roaming"},
         Path(r"C:\Users\kim\AppData\Roaming") / "cnnviz"),
        ("win32", {}, Path("/home/kim/.cnnviz")),
        ("darwin", {}, Path("/home/kim/Library/Application Support/cnnviz")),
        ("linux", {"XDG_DATA_HOME": "/data/kim"}, Path("/data/kim/cnnviz")),
        ("linux", {"XDG_DATA_HOME": "relative/ignored"}, Path("/home/kim/.local/share/cnnviz")),
        ("linux", {}, Path("/home/kim/.local/share/cnnviz")),
    ],
)  # fmt: skip
def test_the_certificate_is_kept_in_the_users_app_data_folder(platform, environ, expected):
    assert tls.certificate_folder(platform, environ, Path("/home/kim")) == expected


APP_DATA = ("XDG_DATA_HOME", "APPDATA", "HOME", "USERPROFILE")  # where each system looks


def run_https(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m cnnviz.https …` with its app-data folder in tmp_path (on any system)."""
    env = {**os.environ, **dict.fromkeys(APP_DATA, str(tmp_path)), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "cnnviz.https", *args],
        cwd=tmp_path,  # it finds app.py itself
        env={**env, "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_the_command_prints_the_https_address_and_the_exact_line_and_starts_nothing(tmp_path):
    run = run_https(tmp_path, "--print-only", "--port", "8765", "--host", "classroom.test")
    assert run.returncode == 0, run.stderr
    folder = tls.certificate_folder(environ=dict.fromkeys(APP_DATA, str(tmp_path)), home=tmp_path)
    cert_path, key_path = folder / tls.CERT_FILE, folder / tls.KEY_FILE
    assert "classroom.test" in tls.hosts_of(load(cert_path))
    printed = run.stdout.splitlines()
    hosts = ", ".join(tls.certificate_hosts(["classroom.test"]))
    for lang in i18n.LANGUAGES:
        assert t("secure.made", lang, hosts=hosts, path=cert_path) in printed
        assert address.students_line(8765, "", lang, secure=True) in printed
        assert t("secure.command", lang, folder=ROOT) in printed
    assert printed[-1] == "    " + tls.command_line(
        tls.streamlit_command(cert_path, key_path, 8765)
    )
    lan = address.lan_address()
    if lan is not None:
        assert f"https://{lan}:8765" in run.stdout

    made = cert_path.read_bytes(), key_path.read_bytes()
    again = run_https(tmp_path, "--print-only", "--port", "8765", "--host", "classroom.test")
    assert t("secure.reused", "en", hosts=hosts, path=cert_path) in again.stdout.splitlines()
    assert again.stdout.splitlines()[-1] == printed[-1]
    assert (cert_path.read_bytes(), key_path.read_bytes()) == made  # not made again


def test_the_command_refuses_a_host_that_cannot_be_in_a_certificate(tmp_path):
    run = run_https(tmp_path, "--print-only", "--host", "not a host")
    assert run.returncode == 2
    assert t("secure.bad_host", "en", host="not a host") in run.stderr
    assert not (tmp_path / "cnnviz").exists()
