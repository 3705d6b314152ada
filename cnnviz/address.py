"""The address students open: this computer's address on the class network.

With the repository's .streamlit/config.toml (`browser.serverAddress = "localhost"`, so that
Streamlit does not ask the internet for a public address at start), `streamlit run` prints only
`URL: http://localhost:8501`, which opens nothing on a student's computer. The server prints,
once, the line a teacher needs instead:

    Students open: http://192.168.1.23:8501 (allow port 8501 through the firewall)

(https://… when the server has a certificate: `python -m cnnviz.https`, see cnnviz.tls.)

Finding the address sends nothing over the network and opens no socket: it reads the addresses
of this computer's network interfaces (psutil, the same on Linux, Windows and macOS) and picks
the one a class network most likely reaches: an interface that is up, a private address
(RFC 1918) before a public one, a real adapter before a virtual one (Docker, VirtualBox, VPNs).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import psutil

from cnnviz.i18n import t

EVERY_ADDRESS = {"", "0.0.0.0", "::"}  # server.address values for "listen on every interface"
# Name beginnings of virtual adapters (containers, virtual machines, VPN tunnels): their
# addresses are reached from this computer only, so a real adapter's address comes first.
VIRTUAL_ADAPTERS = (
    "docker", "br-", "veth", "virbr", "vmnet", "vboxnet", "vethernet", "lxc", "lxd", "podman",
    "cni", "flannel", "tun", "tap", "utun", "wg", "tailscale", "zt", "ham", "vmware", "virtualbox", "bridge",
)  # fmt: skip


def lan_address() -> str | None:
    """This computer's IPv4 address that other computers on its network reach, or None (no
    network: only this computer can open the app)."""
    candidates = lan_addresses()
    return candidates[0] if candidates else None


def lan_addresses() -> list[str]:
    """Every IPv4 address of this computer that others may reach, the likeliest first."""
    try:
        interfaces = psutil.net_if_addrs()
        stats = psutil.net_if_stats()
    except (OSError, psutil.Error):  # an OS that refuses to list its interfaces
        return []
    found = []
    for name, addresses in interfaces.items():
        if name in stats and not stats[name].isup:
            continue
        for entry in addresses:
            if entry.family == socket.AF_INET and _usable(entry.address):
                found.append((_rank(name, entry.address), entry.address))
    return [address for _, address in sorted(found, key=lambda item: item[0])]


def _usable(address: str) -> bool:
    """An address another computer can send to (not loopback, not link-local 169.254.x.x)."""
    return reachable_by_others(address) and not ipaddress.ip_address(address).is_link_local


def _rank(interface: str, address: str) -> tuple[bool, bool]:
    """Sort key: a real adapter before a virtual one, a private address before a public one."""
    virtual = interface.lower().startswith(VIRTUAL_ADAPTERS)
    return (virtual, not ipaddress.ip_address(address).is_private)


def reachable_by_others(address: str) -> bool:
    """True for an IP address another computer can send to (not loopback, not 0.0.0.0)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # a host name, e.g. "localhost"
        return address.lower() != "localhost"
    return not (ip.is_loopback or ip.is_unspecified)


def students_url(host: str, port: int, secure: bool = False) -> str:
    """http://host:port (https:// for a server with a certificate), with an IPv6 address in
    brackets."""
    if ":" in host:
        host = f"[{host}]"
    return f"{'https' if secure else 'http'}://{host}:{port}"


def students_line(
    port: int, listen_address: str = "", lang: str = "en", secure: bool = False
) -> str:
    """The line the server prints for the teacher: where students open the app, or why they
    cannot. `listen_address` is Streamlit's server.address ("" for every interface); `secure`
    when it serves HTTPS (server.sslCertFile set)."""
    if listen_address not in EVERY_ADDRESS:  # the server listens on that one address only
        if not reachable_by_others(listen_address):
            return t("address.this_computer_only", lang, address=listen_address)
        host = listen_address
    else:
        host = lan_address()
        if host is None:
            return t("address.no_network", lang, url=students_url("localhost", port, secure))
    return t("address.students_open", lang, url=students_url(host, port, secure), port=port)


def secure_page(url: str | None) -> bool | None:
    """Whether a browser treats a page at `url` as secure (and so gives it the camera): https://,
    or http:// on this computer (localhost, *.localhost, 127.0.0.0/8, ::1); None for no URL.

    The browser's own answer is `window.isSecureContext`; this is the rule it follows for a
    top-level page, known before the browser has answered."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    host = (parts.hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
