"""A quiet start: TensorFlow's C++ start-up lines, which a teacher takes for errors.

Every process that imports TensorFlow (the server, and each training worker in `cnnviz.workers`)
prints its C++ log lines to the terminal, e.g. on a CPU with AVX-512:

    I0000 00:00:… cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use …
    To enable the following instructions: AVX2 AVX512F …, rebuild TensorFlow …

`quiet_tensorflow()` sets TF_CPP_MIN_LOG_LEVEL=2 (leave out INFO and WARNING, keep ERROR) before
TensorFlow is imported; a process inherits it, and a teacher who wants the lines back starts with
TF_CPP_MIN_LOG_LEVEL=0 (an environment variable already set is kept).

Left on purpose: where oneDNN is on by default (Linux on CPUs with AVX-512 VNNI or AMX, and
Windows), TensorFlow 2.21 says "oneDNN custom operations are on" through Abseil's logging, which
TF_CPP_MIN_LOG_LEVEL does not reach, after Abseil's "WARNING: All log messages before
absl::InitializeLog() is called are written to STDERR". Only TF_ENABLE_ONEDNN_OPTS=0 removes the
two, and it makes training slower: the course MNIST CNN on the embedded sample took 4.2 s per
epoch instead of 3.0 s (median of 7 each, 2 cores). A teacher who prefers silence sets it.
"""

from __future__ import annotations

import os

# 0 every line, 1 no INFO, 2 no INFO or WARNING, 3 no ERROR either
QUIET_TENSORFLOW = {"TF_CPP_MIN_LOG_LEVEL": "2"}


def quiet_tensorflow(environ: dict | None = None) -> None:
    """Set `QUIET_TENSORFLOW` in the environment (os.environ) where it is not set already; call
    before anything imports TensorFlow (Keras imports it)."""
    environ = os.environ if environ is None else environ
    for name, value in QUIET_TENSORFLOW.items():
        environ.setdefault(name, value)
