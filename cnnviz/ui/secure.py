"""Whether the student's page may use the camera, and what to do when it may not.

Browsers give the camera only to secure pages: https://, or http://localhost on the computer
that runs the app. A student who opens http://<teacher's address>:8501 gets a camera widget whose
button stays grey, and no prompt ever comes. So every camera source asks first: a small
`st.components.v2` element (a few lines of inline JavaScript, nothing fetched) reports the
browser's `window.isSecureContext` back to Python once a session, and on a page that is not
secure the source says why and what to do instead of showing a camera that cannot work.
"""

from __future__ import annotations

import streamlit as st

from cnnviz import address
from cnnviz.ui import t

SECURE_CONTEXT = "secure_context"  # session key: the browser's answer, once it has come
_REPORT_JS = """
export default function (component) {
    component.setStateValue("secure", window.isSecureContext === true);
}
"""
_secure_context = st.components.v2.component("cnnviz_secure_context", js=_REPORT_JS)


def _answered() -> None:
    """The answer's callback: nothing to do but rerun, which the browser's report causes."""


def camera_allowed(key: str) -> bool | None:
    """The browser's `window.isSecureContext` for this page: True or False once it has answered
    (then kept for the session: it does not change while the tab is open), None until then."""
    known = st.session_state.get(SECURE_CONTEXT)
    if known is not None:
        return known
    report = _secure_context(key=f"{key}_secure_context", on_secure_change=_answered)
    secure = report.get("secure")
    if secure is None:
        return None
    st.session_state[SECURE_CONTEXT] = bool(secure)
    return bool(secure)


def camera_notice(key: str) -> bool:
    """True when the page may show a camera; on a page that is not secure, False and a message
    in the student's language: why there is no camera and what to do.

    Until the browser has answered, the page's address decides (`address.secure_page`, the rule
    the browser follows), so a student on http:// never sees a camera that cannot work, not even
    for a moment; with no address known either (a test without a browser), the camera shows."""
    allowed = camera_allowed(key)
    if allowed is None:
        allowed = address.secure_page(st.context.url)
    if allowed is False:
        port = st.get_option("server.port")
        st.warning(t("secure.camera_needs_https", port=port), icon=":material/no_photography:")
        return False
    return True
