"""cnnviz.curves: the learning curves, progress, the overfitting note and the confusion matrix
(numpy only)."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz import curves


def test_confusion_matrix_counts_true_class_by_predicted_class():
    truth = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 0, 2])
    expected = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    np.testing.assert_array_equal(curves.confusion_matrix(truth, predicted, 3), expected)
    np.testing.assert_array_equal(curves.misclassified(truth, predicted), [1, 4])


def curves_with(train_loss: list[float], val_loss: list[float]) -> curves.Curves:
    made = curves.Curves(steps_per_epoch=10, total_steps=10 * len(train_loss))
    for epoch, (loss, val) in enumerate(zip(train_loss, val_loss, strict=True)):
        made.add(curves.Progress("epoch", epoch, 10 * (epoch + 1), 0, loss, 0.5, 1.0, val))
    return made


def test_overfitting_is_the_epoch_after_which_validation_loss_rose_while_training_loss_fell():
    assert curves.overfitting_epoch(curves_with([0.9, 0.5, 0.3, 0.2], [0.8, 0.6, 0.7, 0.9])) == 2
    assert curves.overfitting_epoch(curves_with([0.9, 0.5, 0.3], [0.8, 0.6, 0.5])) is None
    # both rising is not overfitting (the learning rate is too high)
    assert curves.overfitting_epoch(curves_with([0.5, 0.6], [0.5, 0.7])) is None
    assert curves.overfitting_epoch(curves_with([0.5], [0.5])) is None


def test_seconds_left_follows_the_pace_so_far():
    pace = curves.Curves(steps_per_epoch=10, total_steps=40)
    assert pace.seconds_left() is None
    pace.add(curves.Progress("batch", 0, 1, 40, 2.3, 0.1, 3.0))  # building the step: slow
    assert pace.seconds_left() is None
    pace.add(curves.Progress("batch", 0, 10, 40, 1.0, 0.5, 7.5))
    assert pace.seconds_left() == pytest.approx(15.0)  # 9 batches in 4.5 s, 30 to go


def test_progress_counts_the_steps_keras_names_and_batches_within_their_epoch():
    """On a GPU Keras reports once per execution of 32 batches: the bar follows the step each
    report names (fraction_done), and the batch counter restarts every epoch."""
    progress = curves.Curves(steps_per_epoch=171, total_steps=3 * 171)
    assert (progress.fraction_done, progress.epoch, progress.batch_in_epoch) == (0.0, 1, 0)
    progress.add(curves.Progress("batch", 0, 32, 513, 2.0, 0.2, 1.0))  # one report, 32 batches
    assert progress.fraction_done == pytest.approx(32 / 513)
    assert (progress.epoch, progress.batch_in_epoch) == (1, 32)
    progress.add(curves.Progress("batch", 2, 2 * 171 + 114, 513, 0.5, 0.8, 9.0))
    assert (progress.epoch, progress.batch_in_epoch) == (3, 114)  # not "batch 456 of 513"
    progress.add(curves.Progress("batch", 2, 513, 513, 0.4, 0.9, 10.0))
    assert progress.fraction_done == 1.0 and (progress.epoch, progress.batch_in_epoch) == (3, 171)
