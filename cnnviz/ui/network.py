"""The "Inside the network" page's views: the whole network for one input (click a map, a unit or
a class, or choose it below), then how that one number was computed, with the model's own numbers.

The computing is `cnnviz.explain`; here only what is drawn and the student's pick, kept in the
session as (layer name, map or unit) under PICK.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import keras
import numpy as np
import streamlit as st

from cnnviz import explain, features, network, plots, pooling, predictions
from cnnviz import maximize as ascent
from cnnviz.errors import CnnvizError
from cnnviz.formatting import number, shape_text
from cnnviz.ui import show_error, stepper, t
from cnnviz.ui.chosen import ChosenModel
from cnnviz.ui.feature_maps import CRISP, picture

RUN_KEY = "network_run"  # session key: (fingerprint, NetworkRun) of the last input
PICK = "network_pick"  # session key: (layer name, map or unit)
CLICKS = "network_clicks"  # session key: how many clicks were taken (the chart's key changes)
WANTED = "network_maximize_wanted"  # session key: the student asked for what a filter looks for
CHANNELS_SHOWN = 4  # input channels written out in a conv detail: the ones that weigh most


@dataclass(frozen=True)
class NetworkRun:
    """One run of the model on one input: every layer's output, the overview's columns."""

    layers: list[features.LayerActivation]
    columns: list[network.Column]
    kinds: dict[str, str]
    probabilities: np.ndarray


def run(chosen: ChosenModel, x: np.ndarray) -> NetworkRun:
    """The model's run on x (1, H, W, C), once per model and input for this session."""
    fingerprint = (id(chosen.model), hashlib.sha1(np.ascontiguousarray(x).tobytes()).hexdigest())
    kept = st.session_state.get(RUN_KEY)
    if kept is not None and kept[0] == fingerprint:
        return kept[1]
    layers = features.activations(chosen.model, x)
    probabilities = predictions.as_probabilities(chosen.model, layers[-1].values[None])[0]
    kinds = explain.kinds(chosen.model)
    columns = network.columns(x, layers, kinds, probabilities)
    result = NetworkRun(layers, columns, kinds, probabilities)
    st.session_state[RUN_KEY] = (fingerprint, result)
    return result


def _default_pick(result: NetworkRun) -> tuple[str, int]:
    """The first conv layer's first map, else the first dense layer's strongest unit."""
    for wanted in ("conv", "dense", "output"):
        for column in result.columns:
            if column.kind == wanted:
                return column.name, column.shown[0]
    return result.columns[-1].name, 0


def _current_pick(result: NetworkRun) -> tuple[int, int]:
    """(column, map or unit) picked, after taking a click on the overview if there was one."""
    names = [column.name for column in result.columns]
    clicked = plots.pick_from_click(st.session_state.get(_chart_key()))
    if clicked is not None and 0 <= clicked[0] < len(names):
        st.session_state[PICK] = (names[clicked[0]], clicked[1])
        st.session_state[CLICKS] = st.session_state.get(CLICKS, 0) + 1  # a fresh chart
    name, unit = st.session_state.get(PICK) or _default_pick(result)
    if name not in names:  # another model: its own first layer
        name, unit = _default_pick(result)
    position = names.index(name)
    unit = min(max(int(unit), 0), result.columns[position].count - 1)
    st.session_state[PICK] = (name, unit)
    st.session_state["network_layer"] = name
    st.session_state["network_unit"] = unit
    return position, unit


def _chart_key() -> str:
    return f"network_overview_{st.session_state.get(CLICKS, 0)}"


def _pick_from_selectors() -> None:
    st.session_state[PICK] = (st.session_state["network_layer"], st.session_state["network_unit"])


def overview(chosen: ChosenModel, result: NetworkRun) -> tuple[network.Column, int]:
    """The whole network, left to right, and the selectors; returns the picked column and unit."""
    position, unit = _current_pick(result)
    shown = network.visible(len(result.columns), position)
    st.markdown(f"**{t('inside.overview_title')}**")
    figure = plots.overview_figure(result.columns, list(shown), (position, unit),
                                   chosen.class_names, t("inside.capped"))  # fmt: skip
    with st.container(key="network_overview"):  # a fixed key the browser tests find it by
        st.plotly_chart(figure, key=_chart_key(), on_select="rerun", selection_mode="points",
                        width="stretch", config={"displayModeBar": False})  # fmt: skip
    if len(shown) < len(result.columns):
        st.caption(t("inside.window", first=shown.start + 1, last=shown.stop,
                     count=len(result.columns)))  # fmt: skip
    st.caption(t("inside.overview_help"))
    names = [column.name for column in result.columns]
    layer_column, unit_column = st.columns([3, 2])
    layer_column.selectbox(t("inside.layer"), names, key="network_layer",
                           on_change=_pick_from_selectors, format_func=lambda n: _layer_label(
                               result.columns[names.index(n)]))  # fmt: skip
    column = result.columns[position]
    what = "class" if column.kind == "output" else ("map" if column.is_map else "unit")
    unit_column.number_input(t(f"inside.which_{what}", count=column.count), 0,
                             column.count - 1, key="network_unit",
                             on_change=_pick_from_selectors)  # fmt: skip
    return column, unit


def _layer_label(column: network.Column) -> str:
    return f"{column.name} · {column.layer_type} · {shape_text(column.shape)}"


# --- the detail of the picked number ---------------------------------------------------------------


def detail(chosen: ChosenModel, x: np.ndarray, result: NetworkRun, column, unit: int) -> None:
    """How the picked map, unit or class was computed, by the kind of its layer."""
    views = {"conv": conv_detail, "pool": pool_detail, "batch_norm": norm_detail,
             "dense": dense_detail, "output": dense_detail}  # fmt: skip
    view = views.get(column.kind)
    try:
        if view is not None:
            view(chosen, x, result, column, unit)
        elif column.kind == "input":
            st.subheader(t("inside.input_title", unit=unit))
            st.markdown(t("inside.input_help", shape=shape_text(column.shape)))
        elif column.kind == "unknown":
            st.warning(t("inside.unknown", name=column.name, kind=column.layer_type))
        else:
            _passing_detail(result, column, unit)
    except CnnvizError as error:
        show_error(error)


def _cells(key: str, shape: tuple[int, ...], draw) -> None:
    """Step through the cells of an (H, W, C) map: draw(row, col) for the cell shown; the first
    time, and whenever the map's size changes, at the centre of the map."""
    height, width = shape[:2]
    if st.session_state.get(f"{key}_shape") != (height, width):  # first time, or another map size
        st.session_state[f"{key}_shape"] = (height, width)
        st.session_state[f"{key}_step"] = (height // 2) * width + width // 2
    stepper.show(key, height * width, lambda index: draw(*divmod(index, width)))


def conv_detail(chosen, x, result: NetworkRun, column, unit: int) -> None:
    """A Conv2D map: the maps that feed it, the kernel slice for each, their sum, the bias and
    the activation; then one cell's sum stepped through beside the model's own value."""
    model, name = chosen.model, column.name
    built = explain.conv_map(model, x, name, unit, layers=result.layers)
    channels = built.inputs.shape[2]
    st.subheader(t("inside.conv_title", name=name, unit=unit))
    st.markdown(t("inside.conv_intro", channels=channels, kernel=shape_text(built.kernels.shape),
                  activation=built.activation, bias=number(built.bias)))  # fmt: skip

    def draw(row: int, col: int) -> None:
        cell = explain.conv_cell(model, x, name, row, col, unit, layers=result.layers)
        shown = cell.strongest_channels(CHANNELS_SHOWN)
        names = _channel_names(result, name, shown)
        st.plotly_chart(plots.conv_map_figure(built.inputs, built.kernels, built.per_channel,
                                              shown, names, _map_titles(), (row, col)),
                        width="stretch", key="network_conv_maps")  # fmt: skip
        if channels > len(shown):
            st.caption(t("inside.channels_capped", shown=len(shown), count=channels))
        st.markdown(t("inside.cell_title", row=row, col=col))
        st.plotly_chart(plots.channel_step_figure(cell.step, shown, names, _step_titles()),
                        width="stretch", key="network_cell_figure")  # fmt: skip
        st.code(_conv_sum(cell, shown, names), language=None, wrap_lines=True)
        _model_says(cell.value, cell.model_value)

    _cells("network_cell", built.output.shape, draw)
    result_column, output_column = st.columns(2)
    result_column.plotly_chart(plots.feature_map_figure(built.pre_activation, t(
        "inside.pre_activation", bias=number(built.bias)), 300), key="network_pre")  # fmt: skip
    output_column.plotly_chart(plots.feature_map_figure(built.output, t(
        "inside.after_activation", activation=built.activation), 300), key="network_out")  # fmt: skip
    st.info(t("inside.same_as_lesson"))


def _channel_names(result: NetworkRun, name: str, channels: list[int]) -> list[str]:
    """What each input channel is called: R, G, B (or gray) for the first layer, else map n."""
    first = next(column for column in result.columns if column.kind != "input").name == name
    if first:
        colours = ("R", "G", "B") if result.columns[0].count == 3 else ()
        return [colours[c] if colours else t("inside.gray_channel", number=c) for c in channels]
    return [t("inside.map_name", number=c) for c in channels]


def _step_titles() -> tuple[str, str, str]:
    return t("inside.step_window"), t("inside.kernel_slice"), t("inside.step_products")


def _map_titles() -> tuple[str, str, str]:
    return t("inside.input_map"), t("inside.kernel_slice"), t("inside.channel_result")


def _conv_sum(cell: explain.ConvCell, shown: list[int], names: list[str]) -> str:
    """The cell's sum written out: each shown channel's sum, the others together, the bias."""
    terms = [
        f"{label} {number(cell.channel_totals[c])}" for c, label in zip(shown, names, strict=True)
    ]
    others = len(cell.channel_totals) - len(shown)
    if others:
        rest = float(cell.channel_totals.sum() - cell.channel_totals[shown].sum())
        terms.append(t("inside.other_channels", count=others, total=number(rest)))
    terms.append(t("inside.bias_term", bias=number(cell.bias)))
    return t("inside.conv_sum", terms=" + ".join(terms), total=number(cell.total),
             activation=cell.activation, value=number(cell.value))  # fmt: skip


def _model_says(value: float, model_value: float) -> None:
    st.success(t("inside.model_says", ours=number(value), model=number(model_value)),
               icon=":material/check:")  # fmt: skip


def pool_detail(chosen, x, result: NetworkRun, column, unit: int) -> None:
    """A pooling map: each cell's window on its input map and the max or mean picked."""
    name = column.name
    st.subheader(t("inside.pool_title", name=name, unit=unit))
    inputs = explain.layer_input(chosen.model, x, name, layers=result.layers)[:, :, unit]

    def draw(row: int, col: int) -> None:
        cell = explain.pool_cell(chosen.model, x, name, row, col, unit, layers=result.layers)
        output = column.values[:, :, unit] if column.is_map else column.values[unit, None, None]
        done = row * output.shape[1] + col + 1
        figure = plots.pool_step_figure(inputs, cell.step, output, done, cell.step.window.shape[0],
                                        _pool_pads(chosen, name, inputs.shape),
                                        (t("inside.input_map"), t("inside.output_map")))  # fmt: skip
        st.plotly_chart(figure, width="stretch", key="network_pool_figure")
        how = "max" if cell.mode == "max" else "mean"
        st.code(t(f"inside.pool_{how}", count=cell.step.counted, value=number(cell.value)),
                language=None)  # fmt: skip
        _model_says(cell.value, cell.model_value)

    shape = column.values.shape if column.is_map else (1, 1)
    _cells("network_pool", shape, draw)


def _pool_pads(chosen, name: str, shape: tuple) -> tuple[int, int]:
    """(top, left) of the padding a "same" pooling layer adds, so the window is drawn in place."""
    layer = chosen.model.get_layer(name)
    if getattr(layer, "padding", "valid") != "same":
        return (0, 0)
    top, _, left, _ = pooling.pads(shape, layer.pool_size[0], layer.strides[0], "same")
    return (top, left)


def norm_detail(chosen, x, result: NetworkRun, column, unit: int) -> None:
    """A batch-norm cell: the moving mean and variance it learned, γ and β."""
    st.subheader(t("inside.norm_title", name=column.name, unit=unit))

    def draw(row: int, col: int) -> None:
        cell = explain.batch_norm_cell(chosen.model, x, column.name, row, col, unit,
                                       layers=result.layers)  # fmt: skip
        st.code(t("inside.norm_sum", gamma=number(cell.gamma), x=number(cell.input),
                  mean=number(cell.mean), variance=number(cell.variance), epsilon=f"{cell.epsilon:g}",
                  beta=number(cell.beta), value=number(cell.value)), language=None)  # fmt: skip
        _model_says(cell.value, cell.model_value)

    _cells("network_norm", column.values.shape if column.is_map else (1, 1), draw)


def dense_detail(chosen, x, result: NetworkRun, column, unit: int) -> None:
    """A dense unit: its largest contributions, the sum + bias, the activation; for the output
    layer the softmax written out."""
    found = explain.dense_unit(chosen.model, x, column.name, unit, top=10, layers=result.layers)
    label = _class_label(chosen, unit) if column.kind == "output" else str(unit)
    st.subheader(t("inside.dense_title", name=column.name, unit=label))
    source = _input_column(result, column.name)
    rows = [{t("inside.input"): _input_label(result, source, index), t("inside.value"): number(value),
             t("inside.weight"): number(weight), t("inside.product"): number(product)}
            for index, value, weight, product in found.top]  # fmt: skip
    st.dataframe(rows, hide_index=True, width="stretch")
    st.code(t("inside.dense_sum", top=len(found.top), rest_count=found.rest_count,
              rest=number(found.rest), bias=number(found.bias), total=number(found.total),
              activation=found.activation, value=number(found.value)), language=None)  # fmt: skip
    _model_says(found.value, found.model_value)
    if found.softmax is not None:
        softmax_view(chosen, found.softmax)
    elif column.kind == "output":
        st.info(t("inside.no_softmax"))
        softmax_view(chosen, explain.softmax(np.asarray(column.values)))


def _input_column(result: NetworkRun, name: str) -> network.Column | None:
    names = [column.name for column in result.columns]
    position = names.index(name)
    return result.columns[position - 1] if position > 0 else None


def _input_label(result: NetworkRun, source: network.Column | None, index: int) -> str:
    """A dense input's name: a unit, or where a Flatten took it from (map, row and column)."""
    if source is not None and source.kind == "flatten":
        before = _input_column(result, source.name)
        if before is not None and before.is_map:
            row, col, channel = network.flatten_origin(before.values.shape, index)
            return t("inside.flat_unit", index=index, channel=channel, row=row, col=col)
    return t("inside.unit_name", index=index)


def _class_label(chosen: ChosenModel, unit: int) -> str:
    return chosen.class_names[unit] if unit < len(chosen.class_names) else str(unit)


def softmax_view(chosen: ChosenModel, written: explain.Softmax) -> None:
    """Each logit, its exponential, their sum and each probability (CNN Explainer's view)."""
    st.markdown(f"**{t('inside.softmax_title')}**")
    st.markdown(t("inside.softmax_intro" if written.shift == 0 else "inside.softmax_shifted",
                  shift=number(written.shift)))  # fmt: skip
    order = np.argsort(-written.probabilities, kind="stable")[:10]
    rows = [{t("inside.class"): _class_label(chosen, int(k)), t("inside.logit"): number(written.logits[k]),
             t("inside.exponential"): f"{written.exponentials[k]:.4g}",
             t("inside.probability"): f"{written.probabilities[k]:.2%}"} for k in order]  # fmt: skip
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(t("inside.softmax_sum", total=f"{written.total:.4g}", count=len(written.logits),
                 shown=len(order)))  # fmt: skip


def _passing_detail(result: NetworkRun, column, unit: int) -> None:
    """Flatten, dropout, activation and rescaling layers: what they do, in a sentence."""
    st.subheader(f"{column.name} · {column.layer_type}")
    st.markdown(t(f"inside.passing_{column.kind}"))
    if column.kind == "flatten":
        source = _input_column(result, column.name)
        if source is not None and source.is_map:
            row, col, channel = network.flatten_origin(source.values.shape, unit)
            st.markdown(t("inside.flatten_origin", unit=unit, name=source.name, row=row, col=col,
                          channel=channel, value=number(float(column.values[unit]))))  # fmt: skip


def filters_look_for(chosen: ChosenModel, column: network.Column, unit: int, images_for) -> None:
    """What a conv filter looks for: an input made by gradient ascent beside the test images that
    excite it most. `images_for(chosen)` gives (images (N, H, W, C) in 0..1, source label)."""
    if column.kind != "conv":  # a filter is a conv layer's: say where to find one, no heading
        st.caption(t("inside.maximize_conv_only"))
        return
    st.header(t("inside.maximize_title", name=column.name, unit=unit))
    st.markdown(t("inside.maximize_intro"))
    st.html(CRISP.replace("features_", "network_"))
    if not ascent.maximize_available():
        st.info(t("inside.maximize_backend", backend=keras.backend.backend()))
        return
    # asked for through a callback: a press survives a rerun that comes before this line
    st.button(t("inside.maximize_start"), key="network_maximize", icon=":material/auto_awesome:",
              on_click=st.session_state.update, kwargs={WANTED: True})  # fmt: skip
    if not st.session_state.pop(WANTED, False):
        kept = st.session_state.get("network_maximized", {})
        made = kept.get((id(chosen.model), column.name, unit))
        if made is None:
            return
    else:
        with st.spinner(t("inside.maximize_running")):
            made = _maximized(chosen, column.name, unit, images_for)
    drawn, best = st.columns([1, 2])
    with drawn:
        picture(plots.as_uint8(made[0]), "network_made", t("inside.maximize_made"), width="stretch")
    with best:
        pictures, label, scores = made[1], made[2], made[3]
        if len(pictures):
            st.image([plots.as_uint8(p) for p in pictures], width=96,
                     caption=[number(s) for s in scores])  # fmt: skip
        st.caption(t("inside.maximize_best", source=label))
    st.caption(t("inside.maximize_note"))


def _maximized(chosen, name: str, unit: int, images_for):
    """(the picture made for the filter, 0..1; the search pictures that excite it most, their
    label and scores), kept in the session for the model, layer and filter."""
    ends = np.asarray(chosen.preprocess(np.stack([np.zeros(chosen.input_shape, np.float32),
                                                  np.ones(chosen.input_shape, np.float32)])))  # fmt: skip
    low, high = float(ends.min()), float(ends.max())  # the model's inputs for pictures 0..1
    made = ascent.maximize(chosen.model, name, unit, seed=0, value_range=(low, high))[0]
    made = (made - low) / ((high - low) or 1.0)
    pictures, label = images_for(chosen)
    indices, scores = ascent.top_activating(chosen.model, name, unit,
                                            chosen.preprocess(pictures), k=6)  # fmt: skip
    found = (made, pictures[indices], label, scores)
    st.session_state.setdefault("network_maximized", {})[(id(chosen.model), name, unit)] = found
    return found
