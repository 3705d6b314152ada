"""Placeholder until the lesson lands."""

import streamlit as st

from cnnviz.ui import start_page, t

start_page()

st.title(t("nav.home"))
