"""cnnviz: navigation, page set-up and the language switch. Run with `streamlit run app.py`."""

import streamlit as st

from cnnviz import patches
from cnnviz.quiet import quiet_tensorflow
from cnnviz.ui import language_selector, t
from cnnviz.ui.address import print_students_address
from cnnviz.workers import share_the_gpu

quiet_tensorflow()  # before anything imports TensorFlow (here and in every training worker)
patches.apply_all()  # what cnnviz changes inside Streamlit and Plotly, before any page runs
st.set_page_config(page_title="cnnviz", page_icon="🧠", layout="wide")
share_the_gpu()  # with the training processes (before any page loads Keras)
print_students_address()  # once per server, in its terminal: the URL students open
language_selector()

# Each url_path equals its file's name without the number: Streamlit also scans pages/ on its own,
# and a URL that differs from the file name shows a spurious "Page not found" when opened directly.
# Icons come from Streamlit's own Material Symbols font (emoji need a font the OS may lack).
LESSONS = [  # (file, url path and title key, icon)
    ("1_convolution", "convolution", "grid_on"),
    ("2_padding", "padding", "straighten"),
    ("3_pooling", "pooling", "calculate"),
    ("4_train", "train", "show_chart"),
    ("5_features", "features", "layers"),
    ("6_rotation", "rotation", "rotate_right"),
    ("7_network", "network", "account_tree"),
    ("8_teach", "teach", "photo_camera"),
]
PAGES = [
    st.Page("pages/0_home.py", title=t("nav.home"), icon=":material/home:", default=True),  # at /
    *(
        st.Page(
            f"pages/{file}.py", title=t(f"nav.{name}"), icon=f":material/{icon}:", url_path=name
        )
        for file, name, icon in LESSONS
    ),
]
st.navigation(PAGES).run()
