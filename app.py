"""cnnviz: navigation, page set-up and the language switch. Run with `streamlit run app.py`."""

import streamlit as st

from cnnviz.priority import PRIORITY
from cnnviz.ui import keep_keras_state, language_selector, t
from cnnviz.workers import share_the_gpu

st.set_page_config(page_title="cnnviz", page_icon="🧠", layout="wide")
keep_keras_state()
share_the_gpu()  # with the training processes (before any page loads Keras)
language_selector()

# Each url_path equals its file's name without the number: Streamlit also scans pages/ on its own,
# and a URL that differs from the file name shows a spurious "Page not found" when opened directly.
PAGES = [
    st.Page("pages/0_home.py", title=t("nav.home"), icon=":material/home:", default=True),  # served at /
    st.Page(
        "pages/1_convolution.py", title=t("nav.convolution"), icon=":material/grid_on:", url_path="convolution"
    ),
    st.Page("pages/2_padding.py", title=t("nav.padding"), icon=":material/straighten:", url_path="padding"),
    st.Page("pages/3_pooling.py", title=t("nav.pooling"), icon=":material/calculate:", url_path="pooling"),
    st.Page("pages/4_train.py", title=t("nav.train"), icon=":material/show_chart:", url_path="train"),
    st.Page("pages/5_features.py", title=t("nav.features"), icon=":material/layers:", url_path="features"),
    st.Page("pages/6_rotation.py", title=t("nav.rotation"), icon=":material/rotate_right:", url_path="rotation"),
]
# A student waiting for a page comes before the trainings' next batches (cnnviz.priority).
with PRIORITY.page_run():
    st.navigation(PAGES).run()
