"""Run a test file's "current_backend" tests again under another Keras backend, in a subprocess
(Keras picks its backend once per process)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

ROOT = Path(__file__).resolve().parents[1]
OTHER_BACKENDS = ["jax", "torch"]


def run_under(backend: str, test_file: Path, expected: int, timeout: float = 280) -> None:
    """Run `test_file -k current_backend` with KERAS_BACKEND=`backend`: all `expected` pass."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("already running under another backend")
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        str(test_file), "-k", "current_backend",
    ]  # fmt: skip
    run = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "KERAS_BACKEND": backend},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"{expected} passed" in run.stdout, run.stdout[-3000:]
