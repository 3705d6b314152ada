"""A certificate for this computer, so that the app can be served over HTTPS on the class network.

Browsers give the camera only to secure pages: `https://…`, or `localhost` on the computer that
runs the app. Students open the teacher's address, so for them the app must be served over HTTPS,
and HTTPS needs a certificate naming that address. This module makes one with Python's
`cryptography` (no other program, the same on Linux, Windows and macOS):

- self-signed, an ECDSA P-256 key (every browser accepts it; made in milliseconds);
- its SubjectAltName holds every name students may type: this computer's host name (and its
  `.local` name, which macOS, Windows 10+ and Linux with Avahi answer on the LAN), `localhost`,
  127.0.0.1 and this computer's LAN addresses (`cnnviz.address.lan_addresses()`), DNS names as
  DNS names and addresses as IP addresses (a browser matches an address only against an
  IP-address entry);
- valid 825 days, the longest Apple's browsers accept for a TLS server certificate;
- made once and reused while it is valid for 30 more days and names every host asked for, so that
  students' browsers, once past the warning, do not warn again at the next lesson.

Self-signed certificates are not trusted by browsers: each student sees one warning and goes past
it (the README says how in Chrome, Edge, Firefox and Safari).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cnnviz import address

CERT_FILE = "cnnviz-cert.pem"
KEY_FILE = "cnnviz-key.pem"
DAYS = 825  # Apple's limit for TLS server certificates issued since 2019-09-01
RENEW_BEFORE = dt.timedelta(days=30)  # a certificate this close to its end is made again
APP_FOLDER = "cnnviz"


def certificate_hosts(hosts: Iterable[str] | None = None) -> list[str]:
    """The names and addresses the certificate holds: this computer's host name (and its
    `.local` name), `localhost`, 127.0.0.1, the LAN addresses, then `hosts`; each once, names in
    lower case, names that cannot be a DNS name (after IDNA encoding) left out."""
    name = socket.gethostname()  # the name only: no lookup, no network
    names = [name, f"{name}.local" if name and "." not in name else "", "localhost", "127.0.0.1"]
    found: list[str] = []
    for host in [*names, *address.lan_addresses(), *(hosts or [])]:
        entry = san_entry(host)
        if entry and entry not in found:
            found.append(entry)
    return found


def san_entry(host: str) -> str:
    """An IP address in its canonical form, a DNS name in lower-case ASCII (IDNA, so a Korean
    computer name works); "" for what can be neither."""
    host = host.strip().strip("[]")
    if not host:
        return ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        name = host.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        return ""
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-.")
    return name if name and set(name) <= allowed else ""


def subject_alt_names(hosts: Iterable[str]) -> x509.SubjectAlternativeName:
    """The SubjectAltName extension: addresses as IPAddress entries, the rest as DNSName."""
    entries: list[x509.GeneralName] = []
    for host in hosts:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            entries.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(entries)


def hosts_of(certificate: x509.Certificate) -> set[str]:
    """The names and addresses a certificate's SubjectAltName holds, as strings."""
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return ips | {name.lower() for name in san.get_values_for_type(x509.DNSName)}


def make_certificate(
    directory: str | os.PathLike, hosts: Iterable[str] | None = None, days: int = DAYS
) -> tuple[Path, Path]:
    """(certificate, key) PEM files in `directory` for this computer and `hosts`: the ones
    already there when they are still valid and name every host, else new ones."""
    folder = Path(directory)
    cert_path, key_path = folder / CERT_FILE, folder / KEY_FILE
    wanted = certificate_hosts(hosts)
    if reusable(cert_path, key_path, wanted):
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = self_signed(key, wanted, days)
    folder.mkdir(parents=True, exist_ok=True)
    _write_private(key_path, key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),  # the server reads it unattended; the file is the owner's only
    ))  # fmt: skip
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def self_signed(
    key: ec.EllipticCurvePrivateKey, hosts: list[str], days: int = DAYS
) -> x509.Certificate:
    """A self-signed server certificate for `hosts`, valid from an hour ago for `days` days
    (the hour covers a student's clock that is a little behind)."""
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, hosts[0][:64]),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cnnviz classroom server"),
    ])  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(subject_alt_names(hosts), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def reusable(cert_path: Path, key_path: Path, hosts: Iterable[str]) -> bool:
    """True when both files exist, the key is the certificate's, the certificate is valid now
    and for RENEW_BEFORE more, and it names every one of `hosts`."""
    try:
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):  # missing, unreadable or damaged files
        return False
    now = dt.datetime.now(dt.UTC)
    return (
        _public_bytes(key.public_key()) == _public_bytes(certificate.public_key())
        and certificate.not_valid_before_utc <= now
        and certificate.not_valid_after_utc - RENEW_BEFORE > now
        and set(hosts) <= hosts_of(certificate)
    )


def _public_bytes(public_key) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _write_private(path: Path, data: bytes) -> None:
    """Write a secret: readable and writable by its owner only (mode 0600 where the system has
    modes; on Windows the per-user app-data folder is the owner's already)."""
    path.unlink(missing_ok=True)  # a new file gets the mode below; an old one kept its own
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)  # O_BINARY: Windows
    descriptor = os.open(path, flags, 0o600)
    with os.fdopen(descriptor, "wb") as f:
        f.write(data)


def certificate_folder(
    platform: str = sys.platform, environ: Mapping[str, str] = os.environ, home: Path | None = None
) -> Path:
    """Where this user's certificate is kept: %APPDATA%\\cnnviz on Windows,
    ~/Library/Application Support/cnnviz on macOS, $XDG_DATA_HOME/cnnviz (or
    ~/.local/share/cnnviz) elsewhere; ~/.cnnviz when Windows names no APPDATA."""
    home = Path.home() if home is None else home
    if platform == "win32":
        appdata = environ.get("APPDATA")
        return Path(appdata) / APP_FOLDER if appdata else home / f".{APP_FOLDER}"
    if platform == "darwin":
        return home / "Library" / "Application Support" / APP_FOLDER
    data_home = environ.get("XDG_DATA_HOME", "")
    if data_home and Path(data_home).is_absolute():  # the XDG spec: a relative value is ignored
        return Path(data_home) / APP_FOLDER
    return home / ".local" / "share" / APP_FOLDER


def streamlit_command(
    cert: str | os.PathLike, key: str | os.PathLike, port: int = 8501
) -> list[str]:
    """The command that serves the app over HTTPS with this certificate, as its words:
    `streamlit run app.py --server.port … --server.sslCertFile … --server.sslKeyFile …`."""
    return [
        "streamlit", "run", "app.py", "--server.port", str(port),
        "--server.sslCertFile", str(cert), "--server.sslKeyFile", str(key),
    ]  # fmt: skip


def command_line(words: list[str], platform: str = sys.platform) -> str:
    """`words` as one line to paste into this system's terminal: quoted for cmd and PowerShell
    on Windows ("C:\\Users\\Kim Lee\\…"), for sh/bash/zsh elsewhere ('/Users/Kim Lee/…')."""
    if platform == "win32":
        return subprocess.list2cmdline(words)
    return shlex.join(words)
