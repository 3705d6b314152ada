"""The bytes a student's first visit costs over the network: `python bench/live.py --section bytes`.

A fresh Chromium profile (an empty cache, as a student's first visit) opens Home and goes by the
sidebar to Convolution, Train and Feature maps, waiting on each page until the script is idle and
the network quiet. Chromium's DevTools protocol counts what arrives: for every HTTP response
`Network.loadingFinished`'s encodedDataLength (headers and body as received, before any
decompression; the TLS records around them are not counted), and the websocket's frames. Run
once against the documented HTTPS set-up (`python -m cnnviz.https`: Streamlit's own server with
the certificate of cnnviz.tls, opened as https://classroom.test) and, as the baseline in the same
run, against plain `streamlit run` over http://. The responses' bodies are then gzipped here
(level 6, text, scripts, styles, JSON, SVG and fonts other than WOFF2: what a compressing front
door would compress) to say what compression would save.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from bench.st_client import serve
from cnnviz import tls

CHROMIUM = "/usr/bin/chromium"
HOST = "classroom.test"  # resolved to 127.0.0.1 by Chromium itself: traffic stays on loopback
PAGES = ["", "convolution", "train", "features"]  # Home, then by the sidebar
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CLASS = 40  # students
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml",
                "application/xml", "font/ttf", "font/otf", "application/font")  # fmt: skip
QUIET = 2.0  # seconds without a finished response: the page has loaded what it needs


@dataclass
class Visit:
    """What one first visit received."""

    responses: dict[str, dict] = field(default_factory=dict)  # request id -> url, mime, encoding
    received: dict[str, int] = field(default_factory=dict)  # request id -> encodedDataLength
    gzipped: dict[str, int] = field(default_factory=dict)  # request id -> body gzipped here
    websocket: int = 0  # bytes of frames received
    last_finished: float = 0.0

    @property
    def http_bytes(self) -> int:
        return sum(self.received.values())

    def compressed_by_server(self) -> int:
        return sum(1 for r in self.responses.values() if r["encoding"])

    def biggest(self, count: int = 3) -> list[tuple[str, int]]:
        named = [
            (self.responses.get(rid, {}).get("url", rid), n) for rid, n in self.received.items()
        ]
        return sorted(named, key=lambda item: -item[1])[:count]


def visits(playwright, base_url: str, trusted_key: str = "") -> tuple[Visit, Visit]:
    """Open the pages in a fresh browser and count what arrives, then again in a new tab of the
    same browser (the next lesson: what its cache spared). `trusted_key` (an SPKI hash) makes
    Chromium trust that certificate, as a real one; otherwise it goes past certificate errors,
    as a student who clicked through the warning."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update",
              f"--host-resolver-rules=MAP {HOST} 127.0.0.1",
              *([f"--ignore-certificate-errors-spki-list={trusted_key}"] if trusted_key else [])],
    )  # fmt: skip
    try:
        context = browser.new_context(
            ignore_https_errors=not trusted_key, viewport={"width": 1400, "height": 1000}
        )
        return visit(context, base_url), visit(context, base_url)
    finally:
        browser.close()


def visit(context, base_url: str) -> Visit:
    """One walk through PAGES in a new tab of `context`."""
    seen = Visit()
    page = context.new_page()
    page.set_default_timeout(180_000)
    cdp = context.new_cdp_session(page)
    cdp.send(
        "Network.enable",
        {"maxTotalBufferSize": 400 * 2**20, "maxResourceBufferSize": 100 * 2**20},
    )
    cdp.on("Network.responseReceived", lambda event: _response(seen, event))
    cdp.on("Network.loadingFinished", lambda event: _finished(seen, event))
    cdp.on("Network.webSocketFrameReceived", lambda event: _frame(seen, event))
    for number, path in enumerate(PAGES):
        if number == 0:
            page.goto(f"{base_url}/{path}")
        else:  # a student clicks the sidebar: the app's scripts are not loaded again
            page.locator(f'[data-testid="stSidebarNavLink"][href$="/{path}"]').first.click()
        page.locator("h1").first.wait_for()
        page.wait_for_timeout(300)
        page.wait_for_selector(IDLE)
        _wait_quiet(page, seen)
    for request_id, response in seen.responses.items():
        if request_id in seen.received and response["mime"].startswith(COMPRESSIBLE):
            seen.gzipped[request_id] = _gzipped_body(cdp, request_id)
    page.close()
    return seen


def spki_hash(cert_path: Path) -> str:
    """base64(SHA-256(SubjectPublicKeyInfo)) of a certificate, as Chromium's flags take it."""
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    der = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def _response(visit: Visit, event: dict) -> None:
    response = event["response"]
    headers = {name.lower(): value for name, value in response.get("headers", {}).items()}
    visit.responses[event["requestId"]] = {
        "url": response["url"],
        "mime": response.get("mimeType", ""),
        "encoding": headers.get("content-encoding", ""),
    }


def _finished(visit: Visit, event: dict) -> None:
    visit.received[event["requestId"]] = int(event["encodedDataLength"])
    visit.last_finished = time.monotonic()


def _frame(visit: Visit, event: dict) -> None:
    frame = event["response"]
    data = frame["payloadData"]
    visit.websocket += len(base64.b64decode(data)) if frame["opcode"] == 2 else len(data.encode())


def _wait_quiet(page, visit: Visit) -> None:
    """Wait until no response has finished for QUIET seconds (Plotly's bundle comes late)."""
    while time.monotonic() - max(visit.last_finished, 0.0) < QUIET:
        page.wait_for_timeout(250)


def _gzipped_body(cdp, request_id: str) -> int:
    """The response's body gzipped at level 6 (what nginx and Caddy use by default)."""
    try:
        body = cdp.send("Network.getResponseBody", {"requestId": request_id})
    except Exception:  # evicted from the browser's buffer, or a redirect: counted as it came
        return -1
    raw = base64.b64decode(body["body"]) if body["base64Encoded"] else body["body"].encode()
    return len(gzip.compress(raw, compresslevel=6))


def mb(count: float) -> str:
    return f"{count / 1e6:5.2f} MB"


def bytes_section(args=None) -> None:
    """Print the bytes of a first visit and of the next one over http://, over HTTPS with the
    self-signed certificate, and over HTTPS with a trusted one; and what gzip would leave."""
    from playwright.sync_api import sync_playwright

    print("bytes: a student's first visit (Home, Convolution, Train, Feature maps) in Chromium, "
          "counted by its DevTools protocol, and the next visit in the same browser")  # fmt: skip
    folder = Path(tempfile.mkdtemp(prefix="cnnviz-tls-"))
    certificate = tls.make_certificate(folder, hosts=[HOST])
    runs = {  # name: (certificate, the key Chromium trusts)
        "http://  plain `streamlit run`             ": (None, ""),
        "https:// cnnviz.https, past the warning     ": (certificate, ""),
        "https:// a trusted certificate (real one)   ": (certificate, spki_hash(certificate[0])),
    }
    results = {}
    with sync_playwright() as playwright:
        for name, (cert, trusted) in runs.items():
            with serve(timeout=120, certificate=cert) as server:
                port = server.url.rsplit(":", 1)[1]
                scheme = "https" if cert else "http"
                results[name] = visits(playwright, f"{scheme}://{HOST}:{port}", trusted)
    (plain, _), (secure, _) = list(results.values())[:2]
    for name, (first, second) in results.items():
        print(f"   {name}: first visit {mb(first.http_bytes)} in {len(first.received)} responses "
              f"({first.compressed_by_server()} compressed by the server), websocket "
              f"{mb(first.websocket)}; next visit {mb(second.http_bytes)}")  # fmt: skip
    print(f"   first visit https / http: ×{secure.http_bytes / plain.http_bytes:.3f}")
    for url, count in secure.biggest():
        print(f"      {mb(count)}  {url.split('/', 3)[-1][:90]}")
    compressible = {rid: n for rid, n in secure.gzipped.items() if n >= 0}
    saved = sum(
        secure.received[rid] - n for rid, n in compressible.items() if n < secure.received[rid]
    )
    after = secure.http_bytes - saved
    print(f"   gzipped by a front door ({len(compressible)} text/script/style responses): "
          f"{mb(after)} (×{after / secure.http_bytes:.2f})")  # fmt: skip
    print(f"   a class of {CLASS}: {mb(CLASS * secure.http_bytes)} over the room's WiFi as served, "
          f"{mb(CLASS * after)} gzipped")  # fmt: skip
    print(f"   {os.cpu_count()} cores, load average now {os.getloadavg()[0]:.1f}")
