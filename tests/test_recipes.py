"""cnnviz.recipes: the settings of a training, the course's recipes, optimizers and augmentation,
on real MNIST digits."""

from __future__ import annotations

from dataclasses import replace

import keras
import numpy as np
import pytest

from cnnviz import recipes
from cnnviz.errors import CnnvizError


@pytest.mark.parametrize(
    "change",
    [
        {"epochs": 0},
        {"batch_size": 0},
        {"optimizer": "adagrad"},
        {"learning_rate": 0.0},
        {"learning_rate": float("nan")},
        {"validation_split": 1.0},
        {"momentum": 1.0},
        {"max_train_images": 1},
    ],
)
def test_settings_no_training_can_use_are_refused_by_name(change):
    with pytest.raises(CnnvizError) as error:
        replace(recipes.TrainConfig(), **change).check()
    assert error.value.key == "train.bad_setting"
    assert error.value.values["name"] == next(iter(change))


def test_every_course_recipe_is_a_valid_config():
    for recipe in recipes.RECIPES.values():
        recipe.check()
    assert recipes.RECIPES["mnist_cnn"].optimizer == "rmsprop"
    assert recipes.RECIPES["cifar100"].lr_decay == recipes.LearningRateDecay(10_000, 0.96, True)


def test_optimizers_follow_the_config_and_exponential_decay_steps_down_as_a_staircase():
    sgd = recipes.make_optimizer(replace(recipes.RECIPES["cifar100"]))
    assert isinstance(sgd, keras.optimizers.SGD)
    assert sgd.nesterov and sgd.momentum == pytest.approx(0.9)
    schedule = sgd._learning_rate  # the ExponentialDecay schedule itself
    # 0.01 · 0.96^⌊step / 10000⌋
    assert float(schedule(9_999)) == pytest.approx(0.01)
    assert float(schedule(10_000)) == pytest.approx(0.0096)
    rmsprop = recipes.make_optimizer(recipes.RECIPES["mnist_cnn"])
    assert isinstance(rmsprop, keras.optimizers.RMSprop)
    assert float(rmsprop.learning_rate) == pytest.approx(1e-4)


def test_augment_preview_changes_the_images_the_same_way_for_the_same_seed(mnist):
    course = recipes.COURSE_AUGMENTATION
    first = recipes.augment_preview(mnist, course, n=6, seed=3)
    again = recipes.augment_preview(mnist, course, n=6, seed=3)
    assert first.augmented.shape == (6, 28, 28, 1) and first.augmented.dtype == np.uint8
    np.testing.assert_array_equal(first.augmented, again.augmented)
    assert not np.array_equal(first.augmented, first.originals)
    assert set(first.labels) <= set(range(10))
    plain = recipes.augment_preview(mnist, recipes.Augmentation(), n=6, seed=3)
    np.testing.assert_array_equal(plain.augmented, plain.originals)


def test_augment_preview_of_a_dataset_smaller_than_the_preview_shows_every_image(mnist):
    tiny = replace(mnist, x_train=mnist.x_train[:3], y_train=mnist.y_train[:3])
    preview = recipes.augment_preview(tiny, recipes.COURSE_AUGMENTATION, n=8, seed=0)
    assert preview.originals.shape == (3, 28, 28, 1)
    np.testing.assert_array_equal(np.sort(preview.labels), np.sort(mnist.y_train[:3]))


def test_augmentation_layers_change_images_only_while_training(mnist):
    layers = recipes.augmentation_layers(recipes.COURSE_AUGMENTATION, seed=0)
    assert [type(layer).__name__ for layer in layers] == [
        "RandomRotation",
        "RandomTranslation",
        "RandomZoom",
        "RandomShear",
        "RandomFlip",
    ]
    images = keras.ops.convert_to_tensor(mnist.x_train[:4].astype("float32"))
    for layer in layers:
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(layer(images, training=False)), mnist.x_train[:4]
        )
