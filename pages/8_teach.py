"""Lesson 8 — teach your own classes: name them, show the camera examples, train, try it live."""

import streamlit as st

from cnnviz.ui import links, start_page, t
from cnnviz.ui import teach as teach_ui

start_page()

st.title(t("teach.title"))
st.markdown(t("teach.intro"))
links.follow("teach")  # a link's classes and their names, before the widgets

st.subheader(t("teach.classes_heading"))
names = teach_ui.class_names()
links.keep("teach")  # the only settings a link holds here
if names is None:
    st.stop()

st.subheader(t("teach.pictures_heading"))
st.markdown(t("teach.pictures_intro"))
take_column, overview_column = st.columns([2, 3], gap="large")
with take_column:
    teach_ui.picture_taker(names)
with overview_column:
    teach_ui.pictures_overview(names)

st.subheader(t("teach.train_heading"))
teach_ui.train_button(names)
if teach_ui.running():
    teach_ui.live_training()
    chosen = None
else:
    chosen = teach_ui.trained_model()

if chosen is not None:
    st.subheader(t("teach.predict_heading"))
    st.markdown(t("teach.predict_intro"))
    teach_ui.prediction(chosen)

st.subheader(t("teach.downloads_heading"))
teach_ui.downloads(names, chosen)
