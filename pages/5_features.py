"""Placeholder until the lesson lands."""

import streamlit as st

from cnnviz.ui import t

st.title(t("nav.home"))
