"""cnnviz.batches: seeded batches, chunks of batches run together, and the plan of steps per
call, on real MNIST digits."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz import batches
from cnnviz.recipes import TrainConfig


def test_validation_batches_grow_with_the_training_batches_run_together_up_to_a_bound():
    assert batches.validation_batch_size(256, 1, (28, 28, 1)) == 256
    assert batches.validation_batch_size(256, 30, (28, 28, 1)) == 256 * 30
    assert batches.validation_batch_size(256, 64, (28, 28, 1)) == 2**23 // 784  # 10,699
    assert batches.validation_batch_size(32, 32, (224, 224, 3)) == 55  # 2**23 // 150,528
    assert batches.validation_batch_size(64, 32, (1024, 1024, 3)) == 64  # never below a batch


def test_shuffled_batches_in_chunks_hold_whole_batches_all_of_one_size():
    images, labels = np.zeros((2000, 28, 28, 1), "uint8"), np.arange(2000) % 10
    rows = np.arange(1080)
    # 16 whole batches of 64 in 1,080 rows; at most 5 a call: 4 chunks of 4 batches
    plan = batches.plan_steps("jax", True, TrainConfig(batch_size=64, steps_per_execution=5), 1080)
    assert plan.batches_per_item == 4
    chunks = batches.ShuffledBatches(
        images, labels, rows, 64, seed=1, batches_per_item=plan.batches_per_item
    )
    assert len(chunks) == 4 and chunks.batches_per_item == 4
    seen = np.concatenate([chunks[i][1] for i in range(4)])
    assert all(len(chunks[i][0]) == 256 for i in range(4))
    assert len(seen) == 1024 and len(set(chunks.order[:1024])) == 1024  # 56 rows left out
    first = chunks.order.copy()
    chunks.on_epoch_end()
    assert not np.array_equal(chunks.order, first)  # other rows are left out next epoch


def test_shuffled_batches_cover_every_row_once_per_epoch_in_a_new_seeded_order(mnist):
    rows = np.arange(100, 300)
    shuffled = batches.ShuffledBatches(mnist.x_train, mnist.y_train, rows, 64, seed=5)
    assert len(shuffled) == 4  # 200 rows: 64 + 64 + 64 + 8
    first = np.concatenate([shuffled[i][1] for i in range(len(shuffled))])
    first_order = shuffled.order.copy()
    assert sorted(first_order) == list(rows)
    np.testing.assert_array_equal(first, mnist.y_train[first_order])
    shuffled.on_epoch_end()
    assert sorted(shuffled.order) == list(rows) and not np.array_equal(shuffled.order, first_order)
    kept = batches.ShuffledBatches(mnist.x_train, mnist.y_train, rows, 64, seed=None)
    np.testing.assert_array_equal(kept.order, rows)


@pytest.mark.parametrize(
    ("backend", "on_gpu", "steps", "expected"),
    [
        ("tensorflow", False, None, batches.StepPlan(1, 1, False)),  # a CPU: a batch a call
        ("tensorflow", True, None, batches.StepPlan(32, 1, True)),  # a GPU: 32 batches a call
        ("torch", True, None, batches.StepPlan(1, 1, True)),  # Keras runs PyTorch batch by batch
        ("jax", True, None, batches.StepPlan(1, 16, True)),  # 16 whole batches: one scan of 16
        ("jax", False, None, batches.StepPlan(1, 1, False)),  # no scan on a CPU by default
        ("jax", True, 4, batches.StepPlan(1, 4, True)),  # 16 batches in 4 chunks of 4
    ],
)
def test_the_step_plan_is_decided_from_the_backend_the_device_and_the_config(
    backend, on_gpu, steps, expected
):
    config = TrainConfig(batch_size=64, steps_per_execution=steps)
    assert batches.plan_steps(backend, on_gpu, config, train_images=1024) == expected
