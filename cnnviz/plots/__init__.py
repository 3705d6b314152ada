"""Plotly figure builders: data in, `go.Figure` out, one builder per concept, testable without a
browser. Grouped by lesson in submodules; import them from here (`plots.conv_step_figure`)."""

from cnnviz.plots.channels import *  # noqa: F403
from cnnviz.plots.features import *  # noqa: F403
from cnnviz.plots.lessons import *  # noqa: F403
from cnnviz.plots.network import *  # noqa: F403
from cnnviz.plots.training import *  # noqa: F403
