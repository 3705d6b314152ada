"""Home: what each lesson shows."""

import streamlit as st

from cnnviz.ui import links, start_page, t

start_page()

st.title(t("app.title"))
links.follow("home", say_link=False)  # a note on what a link to Home could not use
st.markdown(t("app.intro"))
st.subheader(t("app.lessons"))
LESSONS = [
    ("convolution", "pages/1_convolution.py"),
    ("padding", "pages/2_padding.py"),
    ("pooling", "pages/3_pooling.py"),
    ("train", "pages/4_train.py"),
    ("features", "pages/5_features.py"),
    ("rotation", "pages/6_rotation.py"),
    ("network", "pages/7_network.py"),
    ("teach", "pages/8_teach.py"),
]
columns = st.columns(3)
for i, (name, path) in enumerate(LESSONS):
    with columns[i % 3].container(border=True):
        st.page_link(path, label=f"**{t('nav.' + name)}**")
        st.write(t("home." + name))
st.caption(t("app.offline_note"))
