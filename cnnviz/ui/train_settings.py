"""The Train page's choices before a training: the model (a course model that fits the data, or
its layer table edited), the hyperparameters from a course recipe, and the augmentation with a
preview of what it does to eight training images.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnviz import data, models, params, plots, recipes, shapes
from cnnviz.architectures import ARCHITECTURES
from cnnviz.errors import CnnvizError, ShapeError
from cnnviz.formatting import shape_text
from cnnviz.ui import choice, lang, show_error, t
from cnnviz.ui.inputs import layer_table_editor
from cnnviz.ui.train_data import cached_dataset

QUICK_SIZES = [None, 4000, 1000, 300]  # training images: all, or a quick demo


@dataclass(frozen=True)
class ModelChoice:
    """The layers to build and what to call the model."""

    name: str
    layers: list[dict]
    too_large: bool


def fitting_presets(dataset: data.Dataset) -> list[str]:
    """The course models whose layers work on this dataset's image size."""
    fits = []
    for name, architecture in ARCHITECTURES.items():
        try:
            params.summarize(architecture, dataset.input_shape, dataset.num_classes)
        except CnnvizError:
            continue
        fits.append(name)
    return fits


def model_picker(dataset: data.Dataset) -> ModelChoice | None:
    """A course model that fits the data, or its layer table edited; checked before building."""
    presets = fitting_presets(dataset)
    if not presets:
        st.info(t("train.no_preset"))
        presets = ["mlp"]
    preset = choice(
        t("train.preset"),
        presets,
        key="train_preset",
        widget="selectbox",
        index=presets.index("mnist_cnn") if "mnist_cnn" in presets else 0,
        format_func=lambda n: t(f"models.name.{n}"),
    )
    others = [t(f"models.name.{n}") for n in ARCHITECTURES if n not in presets]
    if others:
        shape = shape_text(dataset.input_shape)
        st.caption(t("train.other_presets", shape=shape, names=", ".join(others)))
    layers = list(ARCHITECTURES[preset].layers)
    edit = st.toggle(t("train.edit_layers"), key="train_edit")
    if edit:
        layers = layer_table_editor(f"train_{preset}", layers)
    try:
        summary = params.summarize(layers, dataset.input_shape, dataset.num_classes)
    except ShapeError as error:  # "remove a pooling layer" only where there is one
        show_error(shapes.with_pooling_advice(error, layers))
        return None
    except CnnvizError as error:
        show_error(error)
        return None
    too_large = summary.total > models.CPU_MAX_PARAMS or not ARCHITECTURES[preset].trainable_on_cpu
    st.caption(t("train.model_size", params=summary.total, layers=len(layers)))
    return ModelChoice("custom" if edit else preset, layers, too_large)


def settings(dataset: data.Dataset) -> recipes.TrainConfig:
    """The hyperparameters, starting from a course recipe; each recipe keeps its own widgets."""
    recipe_name = choice(
        t("train.recipe"),
        list(recipes.RECIPES),
        key="train_recipe",
        widget="selectbox",
        format_func=lambda r: t(f"train.recipe_{r}"),
    )
    recipe = recipes.RECIPES[recipe_name]
    key = f"train_{recipe_name}"
    left, right = st.columns(2)
    epochs = left.number_input(t("train.epochs"), 1, 200, recipe.epochs, key=f"{key}_epochs")
    batch_size = right.select_slider(
        t("train.batch_size"), recipes.BATCH_SIZES, recipe.batch_size, key=f"{key}_batch"
    )
    optimizer = choice(
        t("train.optimizer"),
        list(recipes.OPTIMIZERS),
        key=f"{key}_optimizer",
        index=recipes.OPTIMIZERS.index(recipe.optimizer),
        format_func=lambda o: t(f"train.optimizer_{o}"),
        horizontal=True,
    )
    rate = st.select_slider(
        t("train.learning_rate"),
        recipes.LEARNING_RATES,
        min(recipes.LEARNING_RATES, key=lambda r: abs(math.log(r / recipe.learning_rate))),
        format_func=lambda r: f"{r:g}",
        key=f"{key}_rate",
    )
    momentum, nesterov = recipe.momentum, recipe.nesterov
    if optimizer == "sgd":
        momentum = st.slider(
            t("train.momentum"), 0.0, 0.99, recipe.momentum, 0.01, key=f"{key}_mom"
        )
        nesterov = st.checkbox(t("train.nesterov"), recipe.nesterov, key=f"{key}_nesterov")
    decay = None
    if st.toggle(t("train.decay"), recipe.lr_decay is not None, key=f"{key}_decay"):
        start = recipe.lr_decay or recipes.LearningRateDecay()
        steps = st.number_input(
            t("train.decay_steps"), 1, 1_000_000, start.decay_steps, key=f"{key}_ds"
        )
        rate_per = st.slider(
            t("train.decay_rate"), 0.5, 1.0, start.decay_rate, 0.01, key=f"{key}_dr"
        )
        staircase = st.checkbox(t("train.staircase"), start.staircase, key=f"{key}_stair")
        decay = recipes.LearningRateDecay(int(steps), float(rate_per), staircase)
    left, right = st.columns(2)
    validation = left.slider(
        t("train.validation_split"), 0.0, 0.5, recipe.validation_split, 0.05, key=f"{key}_val"
    )
    seed = right.number_input(t("train.seed"), 0, 10_000, recipe.seed, key=f"{key}_seed")
    size = choice(
        t("train.images"),
        QUICK_SIZES,
        key="train_images",
        widget="selectbox",
        format_func=lambda n: (
            t("train.images_all", count=len(dataset.x_train)) if n is None else f"{n:,}"
        ),
    )
    return recipes.TrainConfig(
        epochs=int(epochs),
        batch_size=int(batch_size),
        optimizer=optimizer,
        learning_rate=float(rate),
        momentum=float(momentum),
        nesterov=bool(nesterov),
        lr_decay=decay,
        validation_split=float(validation),
        augmentation=recipe.augmentation,
        seed=int(seed),
        max_train_images=None if size is None else min(size, len(dataset.x_train)),
    )


def augmentation_controls(start: recipes.Augmentation) -> recipes.Augmentation:
    """Sliders for the course's augmentation (day 4), starting from the recipe's."""
    left, right = st.columns(2)
    rotation = left.slider(t("train.rotation"), 0, 45, int(start.rotation), key="train_rotation")
    shift = right.slider(t("train.shift"), 0.0, 0.3, start.shift, 0.05, key="train_shift")
    zoom = left.slider(t("train.zoom"), 0.0, 0.3, start.zoom, 0.05, key="train_zoom")
    shear = right.slider(t("train.shear"), 0.0, 0.3, start.shear, 0.05, key="train_shear")
    flip = st.checkbox(t("train.flip"), start.flip, key="train_flip")
    return recipes.Augmentation(float(rotation), float(shift), float(zoom), float(shear), flip)


@st.cache_data(max_entries=32, show_spinner=False)
def _preview(
    dataset_key: tuple, augmentation: recipes.Augmentation, seed: int
) -> recipes.AugmentPreview:
    """Eight training images of the dataset `dataset_key` names, and each augmented once."""
    return recipes.augment_preview(cached_dataset(dataset_key), augmentation, n=8, seed=seed)


def augmentation_preview(dataset: data.Dataset, key: tuple, config: recipes.TrainConfig) -> None:
    """Eight training images and one augmented version of each."""
    preview = _preview(key, config.augmentation, config.seed)
    labels = data.class_labels(dataset, lang())
    titles = [labels[int(label)] for label in preview.labels] * 2
    images = np.concatenate([preview.originals, preview.augmented])
    st.plotly_chart(plots.image_grid_figure(images, titles), key="train_augment_preview")
    st.caption(t("train.augment_caption"))
