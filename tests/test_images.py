"""Reading pictures: every odd file reads correctly, every bad file gets a student's message;
pictures become model inputs and turn as the course turns them."""

import cv2
import numpy as np
import pytest
from PIL import JpegImagePlugin, features

from cnnviz import i18n, images
from cnnviz.errors import ShapeError
from tests import corpus

# --- load_image: bad files ---------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # 121mp.png
@pytest.mark.parametrize(
    ("name", "make", "key"), corpus.BAD_FILES, ids=[b[0] for b in corpus.BAD_FILES]
)
def test_bad_files_raise_image_error_with_a_message_in_both_languages(name, make, key):
    with pytest.raises(images.ImageError) as caught:
        images.load_image(make())
    assert caught.value.key == key
    for lang in ("en", "ko"):
        assert key in i18n.catalogue(lang)
        message = i18n.t(key, lang, **caught.value.values)
        assert "{" not in message and len(message) > 20


def test_a_bomb_is_refused_before_any_pixel_is_decoded(monkeypatch):
    """900 MP of header in a few hundred bytes: refused at open, nothing allocated."""
    data = corpus.decompression_bomb()
    assert len(data) < 5_000
    loads = []
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", lambda self: loads.append(self.size))
    with pytest.raises(images.ImageError):
        images.load_image(data)
    assert loads == []


@pytest.mark.parametrize(
    "make", [corpus.jpeg, corpus.palette_png_with_transparency, corpus.animated_gif, corpus.bmp]
)
def test_damaged_copies_of_good_files_give_a_picture_or_an_image_error_never_a_crash(make):
    """Bytes overwritten or cut at random: the student sees a picture or a message."""
    good = make()
    rng = np.random.default_rng(len(good))
    for _ in range(60):
        damaged = bytearray(good)
        for position in rng.integers(0, len(good), int(rng.integers(1, 8))):
            damaged[position] = int(rng.integers(0, 256))
        damaged = bytes(damaged[: int(rng.integers(len(good) // 2, len(good) + 1))])
        try:
            rgb = images.load_image(damaged)
        except images.ImageError as error:
            assert error.key in i18n.catalogue("en")
        else:
            assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3


# --- load_image: odd but valid files -----------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow's note on broken_exif.jpg
@pytest.mark.parametrize(
    ("name", "make", "check"), corpus.ODD_FILES, ids=[o[0] for o in corpus.ODD_FILES]
)
def test_odd_files_are_read_correctly(name, make, check):
    rgb = images.load_image(make())
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    check(rgb)


def test_plain_jpeg_keeps_its_size_and_colours():
    rgb = images.load_image(corpus.jpeg())
    assert rgb.shape == (48, 64, 3)
    assert np.abs(rgb.astype(int) - corpus.gradient()).mean() < 6


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_the_right_way_up(orientation):
    """The blue corner top-left and red rising to the right, however the camera stored it."""
    rgb = images.load_image(corpus.exif_rotated_jpeg(orientation))
    assert rgb.shape == (48, 64, 3)
    assert np.abs(rgb.astype(int) - corpus.gradient()).mean() < 6


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow reads no AVIF")
def test_avif_photos_are_read():
    rgb = images.load_image(corpus.avif())
    assert rgb.shape == (48, 64, 3)
    assert np.abs(rgb.astype(int) - corpus.gradient()).mean() < 8


def test_sixteen_bit_is_stretched_over_its_own_range_not_clipped():
    """Values 40,000 – 50,000 of 65,535 become 0 – 255, in order, not a flat 155 – 195."""
    gray = images.load_image(corpus.png_16bit())[:, :, 0].astype(int)
    assert gray.min() == 0 and gray.max() == 255
    assert (np.diff(gray.ravel()) >= 0).all()


def test_a_strip_keeps_its_aspect_and_at_least_one_pixel_of_height():
    rgb = images.load_image(corpus.strip(), max_side=2048)
    assert rgb.shape[1] == 2048 and rgb.shape[0] >= 1
    small = images.load_image(corpus.strip(), max_side=500)
    assert small.shape[:2] == (1, 500)


@pytest.mark.parametrize("max_side", [512, 2048])
def test_a_48_megapixel_jpeg_is_decoded_at_a_reduced_scale(monkeypatch, max_side):
    """Image.draft makes libjpeg decode 1/2, 1/4 or 1/8 of the pixels: never all 8000 × 6000."""
    decoded = []
    original_load = JpegImagePlugin.JpegImageFile.load

    def spy(self):
        decoded.append(self.size)
        return original_load(self)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy)
    rgb = images.load_image(corpus.photo_48mp(), max_side=max_side)
    assert rgb.shape == (max_side * 3 // 4, max_side, 3)
    assert decoded and max(decoded[0]) < 2 * max_side <= 8000
    assert rgb.std() > 20  # the photo, not a blank


# --- to_model_input ----------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3), (150, 150, 3)])
@pytest.mark.parametrize("source", ["rgb", "gray", "gray1", "float", "float255", "rgba"])
def test_to_model_input_gives_a_batch_of_the_model_shape_in_unit_range(shape, source):
    picture = corpus.gradient(90, 60)
    pictures = {
        "rgb": picture,
        "gray": picture[:, :, 0],
        "gray1": picture[:, :, :1],
        "float": picture.astype(np.float32) / 255,
        "float255": picture.astype(np.float64),
        "rgba": np.dstack([picture, np.full(picture.shape[:2], 255, np.uint8)]),
    }
    x = images.to_model_input(pictures[source], shape)
    assert x.shape == (1, *shape) and x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() <= 1.0 and x.max() > 0.8


def test_to_model_input_scales_by_one_over_255_as_in_training():
    """A picture already at the model's size is only scaled: x / 255, nothing resampled."""
    digit = (np.random.default_rng(0).random((28, 28)) * 255).astype(np.uint8)
    x = images.to_model_input(digit, (28, 28, 1))
    np.testing.assert_allclose(x[0, :, :, 0], digit / 255, atol=1e-6)


def test_one_channel_models_get_the_luminance():
    rgb = np.zeros((28, 28, 3), np.uint8)
    rgb[..., 1] = 200  # pure green: luminance 0.587 · 200
    x = images.to_model_input(rgb, (28, 28, 1))
    assert x[0, 5, 5, 0] == pytest.approx(0.587 * 200 / 255, abs=0.01)


def test_to_model_input_crops_instead_of_stretching():
    wide = np.zeros((10, 30), np.uint8)
    wide[:, 10:20] = 255  # a white square in the middle of a wide picture
    x = images.to_model_input(wide, (10, 10, 1))
    assert x.min() > 0.99


@pytest.mark.parametrize(
    ("input_shape", "expected"),
    [
        ((None, 28, 28, 1), (1, 28, 28, 1)),  # Keras's model.input_shape
        ((28, 28), (1, 28, 28)),  # keras.Input((28, 28)) before a Flatten
        ((784,), (1, 784)),  # a Dense-only model on flattened digits
        ((None, 3072), (1, 3072)),  # 32 × 32 × 3, flattened
    ],
)
def test_to_model_input_follows_the_models_own_input_shape(input_shape, expected):
    x = images.to_model_input(corpus.gradient(40, 30), input_shape)
    assert x.shape == expected and x.dtype == np.float32


def test_to_model_input_from_a_single_pixel_and_a_strip():
    assert images.to_model_input(np.full((1, 1, 3), 255, np.uint8), (28, 28, 1)).min() > 0.99
    assert images.to_model_input(corpus.gradient(2048, 2), (32, 32, 3)).shape == (1, 32, 32, 3)


@pytest.mark.parametrize("input_shape", [(28, 28, 2), (200,), (None, 28, 28, 1, 1), (0, 28, 1)])
def test_inputs_that_are_not_pictures_raise_a_shape_error(input_shape):
    with pytest.raises(ShapeError) as caught:
        images.to_model_input(corpus.gradient(), input_shape)
    assert caught.value.key == "images.model_input"


# --- transform ---------------------------------------------------------------------------------


def test_transform_equals_a_direct_warp_affine():
    digit = (np.random.default_rng(0).random((28, 28)) * 255).astype(np.uint8)
    matrix = cv2.getRotationMatrix2D((14, 14), 30, 1)
    matrix[0, 2] += 3
    matrix[1, 2] += -2
    expected = cv2.warpAffine(digit, matrix, (28, 28))
    np.testing.assert_array_equal(images.transform(digit, 30, 3, -2), expected)
    np.testing.assert_array_equal(images.transform(digit), digit)


@pytest.mark.parametrize(
    "picture",
    [
        np.random.default_rng(1).random((28, 28, 1)).astype(np.float32),
        corpus.gradient(64, 48),
    ],
)
def test_transform_keeps_shape_and_dtype(picture):
    out = images.transform(picture, angle=15, dx=1.5, dy=-2, scale=1.1)
    assert out.shape == picture.shape and out.dtype == picture.dtype


def test_transform_shifts_right_and_down_for_positive_dx_dy():
    dot = np.zeros((28, 28), np.float32)
    dot[14, 14] = 1
    moved = images.transform(dot, dx=3, dy=2)
    assert np.unravel_index(moved.argmax(), moved.shape) == (16, 17)
