"""cnnviz: the library behind the lessons. Pure modules; only cnnviz.ui imports streamlit."""
