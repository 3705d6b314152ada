"""Serve the app over HTTPS on the class network, so that students' browsers give it the camera.

    python -m cnnviz.https [--port 8501] [--host extra.name] [--print-only]

Makes (or reuses) this computer's certificate in the user's app-data folder (cnnviz.tls), prints
the address students open and the exact `streamlit run` line, in English and Korean, then runs
that line with this Python (unless --print-only). The same on Linux, Windows and macOS.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from cnnviz import address, i18n, tls
from cnnviz.i18n import t

ROOT = Path(__file__).resolve().parents[1]  # where app.py and .streamlit/config.toml are


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m cnnviz.https",
        description="Serve cnnviz over HTTPS with a certificate for this computer, so that "
        "students' browsers allow the camera.",
    )
    parser.add_argument("--port", type=int, default=8501, help="the port (default 8501)")
    parser.add_argument(
        "--host", action="append", default=[], metavar="NAME",
        help="one more host name or address students use (repeat for several)",
    )  # fmt: skip
    parser.add_argument(
        "--print-only", action="store_true", help="make the certificate and print, do not start"
    )
    args = parser.parse_args(argv)
    for host in args.host:
        if not tls.san_entry(host):
            parser.error(
                " / ".join(t("secure.bad_host", lang, host=host) for lang in i18n.LANGUAGES)
            )
    return args


def main(argv: list[str] | None = None) -> int:
    """Make or reuse the certificate, print the addresses and the command, run it; returns the
    server's exit code (0 with --print-only)."""
    args = parse_args(argv)
    folder = tls.certificate_folder()
    hosts = tls.certificate_hosts(args.host)
    cert_path, key_path = folder / tls.CERT_FILE, folder / tls.KEY_FILE
    made = "secure.reused" if tls.reusable(cert_path, key_path, hosts) else "secure.made"
    cert_path, key_path = tls.make_certificate(folder, args.host)
    command = tls.streamlit_command(cert_path, key_path, args.port)
    # a console or log that cannot show Korean gets escapes, not a crash (Windows, redirected)
    sys.stdout.reconfigure(errors="backslashreplace")
    for lines in (
        [t(made, lang, hosts=", ".join(hosts), path=cert_path) for lang in i18n.LANGUAGES],
        [address.students_line(args.port, "", lang, secure=True) for lang in i18n.LANGUAGES],
        [t("secure.warning", lang) for lang in i18n.LANGUAGES],
        [t("secure.command", lang, folder=ROOT) for lang in i18n.LANGUAGES],
        ["    " + tls.command_line(command)],
    ):
        print("\n".join(lines), flush=True)
    if args.print_only:
        return 0
    server = subprocess.Popen([sys.executable, "-m", *command], cwd=ROOT)
    try:
        return server.wait()
    except KeyboardInterrupt:  # Ctrl+C reaches the server too; let it finish stopping
        return server.wait()


if __name__ == "__main__":
    sys.exit(main())
