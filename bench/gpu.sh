#!/bin/bash
# The training benchmark on a machine with an NVIDIA GPU and JAX but no TensorFlow and no network
# (the lent device machine). Run in the project root with, beside it:
#   .whl/    the wheels of keras, namex and optree (../shared/tools/gpu-wheels.sh fetches them)
#   .fmnist/ Fashion-MNIST's four IDX .gz files (from /usr/share/datasets/fashion-mnist)
# Prints bench/train_speed.py for the course MNIST CNN on Fashion-MNIST at batch 256 as the app
# trains there (chunks of up to 32 batches in one compiled call, images on the GPU), then the same
# with Keras's own steps_per_execution=32 (one compiled call a batch) to compare. Arguments, if
# any, replace those two runs: bash bench/gpu.sh --epochs 10 --repeats 3 --skip-workers
set -uo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1 KERAS_HOME=/tmp/keras-home
export XLA_PYTHON_CLIENT_PREALLOCATE=false  # the worker processes share the GPU (as in the app)
mkdir -p $KERAS_HOME/datasets && cp -r .fmnist $KERAS_HOME/datasets/fashion-mnist
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import jax, keras; print('jax', jax.__version__, jax.devices(), 'keras', keras.__version__)"
run() { echo "=== train_speed $* ($(date +%T))"; python3 bench/train_speed.py --dataset fashion_mnist \
  --batch-size 256 --skip-target --skip-memory "$@" 2>&1 | grep -v -E "^(WARNING|I0000|E0000)"; }
if [ $# -gt 0 ]; then run "$@"; echo "=== done $(date +%T)"; exit; fi  # one run, as asked
run --epochs 10 --repeats 2
run --epochs 5 --repeats 1 --skip-workers --batches-together never
echo "=== done $(date +%T)"
