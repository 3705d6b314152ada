"""The course's kernels and the makers."""

import numpy as np
import pytest

from cnnviz import conv, i18n
from cnnviz.errors import ShapeError
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


def test_motion_draws_diagonals_exactly_and_is_symmetric_about_its_centre():
    np.testing.assert_array_equal(motion(5, 45), np.eye(5)[::-1] / 5)
    np.testing.assert_array_equal(motion(5, 135), np.eye(5) / 5)
    np.testing.assert_array_equal(motion(5, -45), motion(5, 135))
    for angle in (10, 30, 60, 100):
        kernel = motion(7, angle)
        np.testing.assert_allclose(kernel, kernel[::-1, ::-1])
        np.testing.assert_allclose(kernel, motion(7, angle + 180))
    assert np.count_nonzero(motion(7, 30)) >= 7  # one connected line across the square


def test_identity_keeps_a_photo_and_blurs_keep_a_flat_area():
    photo = np.random.default_rng(3).uniform(0, 255, size=(12, 10))
    np.testing.assert_allclose(conv.conv2d(photo, KERNELS["identity"], padding="same"), photo)
    flat = np.full((9, 9), 7.0)
    for name in ("box", "gaussian", "motion", "sharpen"):
        np.testing.assert_allclose(conv.conv2d(flat, KERNELS[name]), 7.0)


@pytest.mark.parametrize(
    "name", ["edge_horizontal", "edge_vertical", "sobel_x", "sobel_y", "laplacian"]
)
def test_edge_kernels_see_nothing_on_a_flat_area_and_respond_to_a_step(name):
    assert KERNELS[name].sum() == 0
    step = np.zeros((7, 7))
    step[:, 4:] = 1.0  # dark left, bright right
    step_down = step.T  # dark top, bright bottom
    responses = [np.abs(conv.conv2d(s, KERNELS[name])).max() for s in (step, step_down)]
    assert max(responses) > 0
    if name in ("edge_vertical", "sobel_x"):
        assert responses[1] == 0
    if name in ("edge_horizontal", "sobel_y"):
        assert responses[0] == 0


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda: box(0), "shape.kernel_empty"),
        (lambda: gaussian(0, 1.0), "shape.kernel_empty"),
        (lambda: gaussian(5, 0.0), "shape.sigma_too_small"),
        (lambda: motion(-1, 45), "shape.kernel_empty"),
    ],
)
def test_makers_refuse_impossible_sizes_with_a_message(call, key):
    with pytest.raises(ShapeError) as caught:
        call()
    assert caught.value.key == key
    for lang in ("en", "ko"):
        assert "{" not in i18n.t(key, lang, **caught.value.values)
