"""What cnnviz changes inside its libraries, in one place, applied explicitly.

app.py calls `apply_all()` before anything else; a training worker calls the functions it needs.
Each change is one small function that first checks that its target still exists (a library
update may rename a private name): if it does not, it logs one warning saying what the class
loses, and the app runs on without it. tests/test_patches.py proves the effect of each.

These are the app's settings, not a lesson's: with cnnviz.ui, the only code that imports
streamlit, and only inside the function that needs it.
"""

from __future__ import annotations

import logging
from functools import cache

log = logging.getLogger(__name__)


@cache
def _warn(message: str) -> None:
    """Log `message` once per process (a page calls its patch on every run)."""
    log.warning("cnnviz.patches: %s", message)


@cache
def apply_all() -> None:
    """Apply every change the server needs, once per process; call first in app.py."""
    keep_keras_state()
    plotly_skips_checks()


# --- Streamlit ------------------------------------------------------------------------------------


def keep_keras_state() -> bool:
    """Stop Streamlit from calling keras.backend.clear_session() after every script run; True
    if done.

    Streamlit does that once Keras is imported (`script_runner._clean_problem_modules`, a private
    function it looks up by name after each run; no setting turns it off). In a server where every
    student's models, trainings and cached pretrained models share one Keras, it resets state
    under other sessions' running threads, and it made every rerun of every page cost about a
    second (bench/pages.py).
    """
    from streamlit.runtime.scriptrunner import script_runner

    if not callable(getattr(script_runner, "_clean_problem_modules", None)):
        _warn(
            "Streamlit has no script_runner._clean_problem_modules any more: if it still clears "
            "the Keras session after each run, every page that uses a model reruns slower."
        )
        return False
    if script_runner._clean_problem_modules is not _keep_modules:
        _keep_modules.replaced = script_runner._clean_problem_modules  # Streamlit's, for tests
    script_runner._clean_problem_modules = _keep_modules
    return True


def _keep_modules() -> None:
    """Nothing to clean: cnnviz keeps no per-run Keras state (and does not use pyplot)."""


def leave_pages_directory_mode() -> bool:
    """Turn off Streamlit's older multipage mode if it is on; True if it was (then rerun).

    With a `pages/` folder beside app.py, Streamlit starts in that mode
    (`PagesManager.uses_pages_directory`, set when the first session starts): if the first visitor
    after start-up opens a page by its URL, that page runs on its own, without app.py's
    navigation, layout and language switch, and other pages then show "Page not found".
    `st.navigation` turns the mode off, but only once app.py has run; the layout keeps `pages/`.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if not hasattr(PagesManager, "uses_pages_directory"):
        _warn(
            "Streamlit's PagesManager has no uses_pages_directory any more: a page opened by its "
            "URL right after start-up may show without the menu and language switch."
        )
        return False
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        return True
    return False


# --- Keras ----------------------------------------------------------------------------------------


def skip_single_replica_all_reduce() -> bool:
    """Stop every TensorFlow training leaking ~20 MB into its process; True if applied.

    Keras's TensorFlow optimizers sum the gradients over replicas with
    `tf.distribute.get_replica_context().all_reduce`, which is a `tf.custom_gradient`: traced into
    a graph, it registers a gradient function in TensorFlow's global registry that keeps the whole
    traced train step alive for good. With one replica (every training here) the sum is the
    gradient itself, so it is skipped; with several, Keras's own code runs. Measured by
    bench/train_speed.py: ten course-CNN trainings grew the process by ~20 MB each before, by
    ~1 MB each after. This replaces a private Keras method (`TFOptimizer.
    _all_reduce_sum_gradients`), so it is applied only when called (a training worker calls it at start),
    and it logs one warning and does nothing when that method is not there.
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    try:
        from keras.src.backend.tensorflow.optimizer import TFOptimizer

        all_reduce = TFOptimizer._all_reduce_sum_gradients
    except (ImportError, AttributeError):
        _warn(
            f"Keras {keras.__version__} has no TFOptimizer._all_reduce_sum_gradients: each "
            "training may keep ~20 MB in its process."
        )
        return False
    if getattr(all_reduce, "single_replica_skipped", False):
        return True

    def all_reduce_sum_gradients(self, grads_and_vars):
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return list(grads_and_vars)
        return all_reduce(self, grads_and_vars)

    all_reduce_sum_gradients.single_replica_skipped = True
    TFOptimizer._all_reduce_sum_gradients = all_reduce_sum_gradients
    return True


# --- Plotly ---------------------------------------------------------------------------------------


@cache
def plotly_skips_checks() -> bool:
    """Whether `go.Figure(spec, _validate=False)` still builds a figure without Plotly's checks.

    `_validate` is a private argument of Plotly's figures (cnnviz.plots.spec uses it: the checks
    cost ~10 ms a chart). Tried once on a figure with a misspelt property, which only a checked
    build refuses.
    """
    import plotly.graph_objects as go

    wrong = {"data": [{"type": "bar", "x": [1], "y": [1], "colour": "red"}]}
    try:
        go.Figure(wrong, _validate=False)
    except (TypeError, ValueError):
        _warn(
            "Plotly no longer builds figures without its checks (go.Figure(_validate=False)): "
            "charts are checked as they are built, ~10 ms more each."
        )
        return False
    return True
