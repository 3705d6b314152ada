"""cnnviz.quiet: Keras starts without TensorFlow's C++ start-up lines in the terminal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from cnnviz import quiet

ROOT = Path(__file__).resolve().parents[1]
ABSL_PREAMBLE = "WARNING: All log messages before absl::InitializeLog() is called"
ONEDNN_NOTICE = "oneDNN custom operations are on"
C_LOG_LINE = re.compile(r"^[IWEF]\d{4} ")  # Abseil's and TensorFlow's: I1202 10:25:39.004600 …


def keras_start_stderr(extra_env: dict[str, str] | None = None) -> str:
    """The terminal's stderr of a fresh process that quiets TensorFlow, then imports Keras and
    runs one operation (what a training worker does before it says ready)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_CPP_", "TF_ENABLE_"))}
    code = (
        "from cnnviz.quiet import quiet_tensorflow\n"
        "quiet_tensorflow()\n"
        "import keras\n"
        "keras.ops.convert_to_numpy(keras.ops.ones((2, 2)) + 1)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "KERAS_BACKEND": "tensorflow", **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stderr


def test_keras_starts_without_tensorflows_info_and_warning_lines():
    lines = keras_start_stderr().splitlines()
    # oneDNN's notice (and Abseil's preamble before it) is the one TF_CPP_MIN_LOG_LEVEL does not
    # reach; it comes only where oneDNN is on by default (cnnviz/quiet.py)
    left = [line for line in lines if ABSL_PREAMBLE not in line and ONEDNN_NOTICE not in line]
    assert left == [], "\n".join(lines)


def test_with_onednn_off_keras_starts_without_the_absl_warning():
    stderr = keras_start_stderr({"TF_ENABLE_ONEDNN_OPTS": "0"})
    assert ABSL_PREAMBLE not in stderr
    assert not [line for line in stderr.splitlines() if C_LOG_LINE.match(line)], stderr
    assert stderr.strip() == ""


def test_a_level_the_teacher_set_is_kept():
    environ = {"TF_CPP_MIN_LOG_LEVEL": "0"}
    quiet.quiet_tensorflow(environ)
    assert environ == {"TF_CPP_MIN_LOG_LEVEL": "0"}


def test_an_unset_level_becomes_no_info_or_warning():
    environ: dict[str, str] = {}
    quiet.quiet_tensorflow(environ)
    assert environ == {"TF_CPP_MIN_LOG_LEVEL": "2"}
