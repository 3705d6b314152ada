"""The address students open: this computer's address on the class network.

With the repository's .streamlit/config.toml (`browser.serverAddress = "localhost"`, so that
Streamlit does not ask the internet for a public address at start), `streamlit run` prints only
`URL: http://localhost:8501`, which opens nothing on a student's computer. The server prints,
once, the line a teacher needs instead:

    Students open: http://192.168.1.23:8501 (allow port 8501 through the firewall)

Finding the address sends nothing over the network: connecting a UDP socket only asks the
operating system which of its addresses it would send from (the same on Linux, Windows and
macOS); the fallback asks for the addresses of this computer's own name.
"""

from __future__ import annotations

import ipaddress
import socket

from cnnviz.i18n import t

# A private address (RFC 1918) that no class network uses: the answer is the address of the
# interface the local network (or the default route) goes through.
ROUTE_PROBE = ("10.254.254.254", 1)
EVERY_ADDRESS = {"", "0.0.0.0", "::"}  # server.address values for "listen on every interface"


def lan_address() -> str | None:
    """This computer's IPv4 address that other computers on its network reach, or None (no
    network: only this computer can open the app)."""
    return _routed_address() or _own_name_address()


def _routed_address() -> str | None:
    """The source address the OS would use towards ROUTE_PROBE (no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(ROUTE_PROBE)
            address = probe.getsockname()[0]
    except OSError:  # no route at all (an offline computer)
        return None
    return address if reachable_by_others(address) else None


def _own_name_address() -> str | None:
    """The first address of this computer's own name that others can reach."""
    try:
        _, _, addresses = socket.gethostbyname_ex(socket.gethostname())
    except OSError:
        return None
    return next((address for address in addresses if reachable_by_others(address)), None)


def reachable_by_others(address: str) -> bool:
    """True for an IP address another computer can send to (not loopback, not 0.0.0.0)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # a host name, e.g. "localhost"
        return address.lower() != "localhost"
    return not (ip.is_loopback or ip.is_unspecified)


def students_url(host: str, port: int) -> str:
    """http://host:port, with an IPv6 address in brackets."""
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def students_line(port: int, listen_address: str = "", lang: str = "en") -> str:
    """The line the server prints for the teacher: where students open the app, or why they
    cannot. `listen_address` is Streamlit's server.address ("" for every interface)."""
    if listen_address not in EVERY_ADDRESS:  # the server listens on that one address only
        if not reachable_by_others(listen_address):
            return t("address.this_computer_only", lang, address=listen_address)
        host = listen_address
    else:
        host = lan_address()
        if host is None:
            return t("address.no_network", lang, url=students_url("localhost", port))
    return t("address.students_open", lang, url=students_url(host, port), port=port)
