"""The course's kernels and the makers."""

import numpy as np
import pytest

from cnnviz import i18n
from cnnviz.kernels import KERNELS, box, gaussian, motion

COURSE_NAMES = [
    "identity", "box", "gaussian", "sharpen", "edge_horizontal", "edge_vertical",
    "sobel_x", "sobel_y", "laplacian", "emboss", "motion",
]  # fmt: skip


def test_every_course_kernel_is_there_and_named_in_both_languages():
    assert sorted(KERNELS) == sorted(COURSE_NAMES)
    for name in KERNELS:
        assert f"kernels.{name}" in i18n.catalogue("en")
        assert f"kernels.{name}" in i18n.catalogue("ko")


def test_the_slide_gaussian_is_sigma_one_half():
    g = gaussian(5, 0.5)
    assert g[2, 2] == pytest.approx(0.6187, abs=1e-4)
    assert g[2, 1] == pytest.approx(0.0837, abs=1e-4)
    assert g[1, 1] == pytest.approx(0.0113, abs=1e-4)
    assert g.sum() == pytest.approx(1)


def test_course_kernels_have_the_slide_values():
    np.testing.assert_array_equal(KERNELS["sharpen"], [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    np.testing.assert_array_equal(KERNELS["edge_horizontal"], [[1, 1, 1], [0, 0, 0], [-1, -1, -1]])
    np.testing.assert_array_equal(KERNELS["edge_vertical"], [[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    np.testing.assert_allclose(KERNELS["motion"], np.eye(5)[::-1] / 5)


@pytest.mark.parametrize("size", [1, 3, 5, 7])
def test_blur_makers_sum_to_one(size):
    assert box(size).sum() == pytest.approx(1)
    assert gaussian(size, 1.0).sum() == pytest.approx(1)
    for angle in (0, 30, 45, 90, 135):
        assert motion(size, angle).sum() == pytest.approx(1)


def test_motion_angle_sets_the_direction():
    np.testing.assert_allclose(motion(5, 0)[2], np.full(5, 0.2))
    np.testing.assert_allclose(motion(5, 90)[:, 2], np.full(5, 0.2))
