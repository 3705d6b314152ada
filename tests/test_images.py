"""Reading pictures: every odd file reads correctly, every bad file gets a student's message;
pictures become model inputs; digit photos become MNIST digits the shipped CNN reads."""

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


# --- prepare_digit -----------------------------------------------------------------------------


def _assert_mnist_like(result: np.ndarray) -> None:
    assert result.shape == (28, 28) and result.dtype == np.float32
    assert result.max() > 0.9 and result.min() >= 0.0
    assert np.median(result) < 0.05  # white ink on black
    rows, cols = np.nonzero(result > 0.1)
    assert rows.max() - rows.min() + 1 <= 21 and cols.max() - cols.min() + 1 <= 21
    moments = cv2.moments(result)
    assert moments["m10"] / moments["m00"] == pytest.approx(14, abs=0.6)
    assert moments["m01"] / moments["m00"] == pytest.approx(14, abs=0.6)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("digit", range(10))
def test_prepare_digit_gives_an_mnist_like_input(digit, seed):
    photo = images.load_image(corpus.handwritten_digit_photo(digit, seed))
    steps = images.prepare_digit(photo)
    _assert_mnist_like(steps.result)
    assert steps.gray.shape == photo.shape[:2] and steps.gray.dtype == np.uint8
    assert steps.inverted.shape == steps.ink.shape == steps.gray.shape
    assert set(np.unique(steps.ink)) <= {0, 255}
    assert max(steps.fitted.shape) == 20 and steps.cropped.dtype == np.uint8


def test_the_shipped_cnn_reads_generated_digit_photos_after_prepare_digit():
    """Photos of pen-drawn digits (tilted, uneven light, noise, JPEG) read as their digit."""
    from cnnviz import models

    cnn = models.load_pretrained("mnist_cnn")
    digits = [(d, seed) for seed in range(3) for d in range(10)]
    x = np.stack(
        [
            images.prepare_digit(images.load_image(corpus.handwritten_digit_photo(d, s))).result
            for d, s in digits
        ]
    )[..., None]
    predicted = np.asarray(cnn(x, training=False)).argmax(axis=1)
    right = sum(int(p) == d for p, (d, _) in zip(predicted, digits, strict=True))
    assert right >= 28, list(zip(predicted, digits, strict=True))


def test_prepare_digit_reads_chalk_on_a_board_and_float_pictures():
    photo = images.load_image(corpus.handwritten_digit_photo(4, 0))
    on_paper = images.prepare_digit(photo).result
    for picture in (255 - photo, photo.astype(np.float32) / 255):
        result = images.prepare_digit(picture).result
        _assert_mnist_like(result)
        assert np.abs(result - on_paper).mean() < 0.05


def test_prepare_digit_ignores_specks_and_a_table_at_the_edge():
    photo = images.load_image(corpus.handwritten_digit_photo(7, 1))
    clean = images.prepare_digit(photo).result
    messy = photo.copy()
    messy[:, :30] = 50  # the dark table beside the sheet
    messy[-25:, :] = 70
    for y, x in np.random.default_rng(0).integers(40, 440, (12, 2)):
        cv2.circle(messy, (int(x), int(y)), 2, (40, 40, 40), -1)  # specks of dirt
    result = images.prepare_digit(messy).result
    _assert_mnist_like(result)
    assert np.abs(result - clean).mean() < 0.05


def test_prepare_digit_keeps_a_digit_cropped_tightly_to_the_frame():
    photo = images.load_image(corpus.handwritten_digit_photo(2, 0))
    rows, cols = np.nonzero(images.prepare_digit(photo).ink)
    tight = photo[rows.min() + 2 : rows.max() - 2, cols.min() + 2 : cols.max() - 2]
    _assert_mnist_like(images.prepare_digit(tight).result)


def test_an_mnist_digit_stays_itself():
    """A digit already prepared as MNIST comes back nearly unchanged."""
    with np.load("assets/mnist_sample.npz") as sample:
        digits = sample["x_test"][:20]
    for digit in digits:
        result = images.prepare_digit(digit).result
        original = digit / 255.0
        assert np.corrcoef(result.ravel(), original.ravel())[0, 1] > 0.8


@pytest.mark.parametrize(
    "picture",
    [
        np.full((100, 100, 3), 230, np.uint8),
        np.zeros((60, 60), np.uint8),
        np.clip(
            np.linspace(150, 230, 400)[None, :] + np.random.default_rng(0).normal(0, 6, (300, 400)),
            0,
            255,
        ).astype(np.uint8),  # blank paper, lit from one side, camera noise
    ],
    ids=["white", "black", "blank_paper"],
)
def test_prepare_digit_refuses_a_blank_page(picture):
    with pytest.raises(images.ImageError) as caught:
        images.prepare_digit(picture)
    assert caught.value.key == "images.no_digit"


@pytest.mark.parametrize("shape", [(1, 1, 3), (5, 40)])
def test_prepare_digit_refuses_a_picture_too_small_for_a_digit(shape):
    with pytest.raises(images.ImageError) as caught:
        images.prepare_digit(np.zeros(shape, np.uint8))
    assert caught.value.key == "images.digit_too_small"


# --- looks_like_digit ----------------------------------------------------------------------------


def _mnist_digits(count: int = 50) -> np.ndarray:
    """The first `count` test digits of the embedded MNIST sample, (count, 28, 28) uint8."""
    from cnnviz import data

    return data.load("mnist").x_test[:count, :, :, 0]


def _on_paper(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An MNIST digit as dark ink on grey-ish paper: 255 − digit, 300 × 300, a little noise."""
    ink = cv2.resize(digit, (300, 300), interpolation=cv2.INTER_LINEAR) / 255.0
    paper = rng.uniform(180, 235) - ink * rng.uniform(120, 170) + rng.normal(0, 5, ink.shape)
    gray = np.clip(paper, 0, 255).astype(np.uint8)
    return np.dstack([gray, gray, gray])


def _drawn(digit: np.ndarray) -> np.ndarray:
    """An MNIST digit as a drawing canvas gives it: white strokes on black, 280 × 280."""
    return cv2.resize(digit, (280, 280), interpolation=cv2.INTER_LINEAR)


@pytest.mark.parametrize("name", ["astronaut", "cat", "coffee", "rocket"])
def test_the_sample_photos_do_not_look_like_digits(name):
    photo = images.load_image((corpus.ASSETS / "samples" / f"{name}.jpg").read_bytes())
    assert not images.looks_like_digit(photo)


def test_mnist_digits_on_paper_and_drawn_look_like_digits():
    """50 real MNIST digits as ink on paper and as white-on-black drawings: at least 95 % each."""
    rng = np.random.default_rng(0)
    digits = _mnist_digits(50)
    on_paper = [images.looks_like_digit(_on_paper(d, rng)) for d in digits]
    drawn = [images.looks_like_digit(_drawn(d)) for d in digits]
    assert sum(on_paper) >= 0.95 * len(digits), np.flatnonzero(~np.array(on_paper))
    assert sum(drawn) >= 0.95 * len(digits), np.flatnonzero(~np.array(drawn))


def test_generated_phone_photos_of_digits_look_like_digits():
    """The corpus's pen-on-paper photos (uneven light, tilt, JPEG), in colour and as chalk."""
    photos = [
        images.load_image(corpus.handwritten_digit_photo(d, seed))
        for seed in (0, 1)
        for d in range(10)
    ]
    assert all(images.looks_like_digit(photo) for photo in photos)
    assert all(images.looks_like_digit(255 - photo) for photo in photos[:5])  # chalk on a board


@pytest.mark.parametrize(
    "picture",
    [
        np.full((100, 100, 3), 230, np.uint8),
        np.zeros((60, 60), np.uint8),
        np.clip(
            np.linspace(150, 230, 400)[None, :] + np.random.default_rng(0).normal(0, 6, (300, 400)),
            0,
            255,
        ).astype(np.uint8),
        np.random.default_rng(1).integers(0, 256, (200, 200, 3), dtype=np.uint8),
        corpus.gradient(300, 200),
    ],
    ids=["white", "black", "blank_paper", "noise", "gradient"],
)
def test_blank_pages_noise_and_gradients_do_not_look_like_digits(picture):
    assert not images.looks_like_digit(picture)


ODD_PICTURES = [
    np.zeros((1, 1), np.uint8),
    np.full((1, 1, 3), 255, np.uint8),
    corpus.gradient(10_000, 8),
    corpus.gradient(8, 10_000),
    np.zeros((0, 5), np.uint8),
    np.full((50, 50, 4), 128, np.uint8),  # RGBA
    np.dstack([corpus.gradient(), np.full((48, 64), 255, np.uint8)]),  # RGBA as RGB + alpha
    np.full((40, 40, 1), 7, np.uint8),
    np.random.default_rng(2).random((64, 64)).astype(np.float32),
    np.full((30, 30), np.nan, np.float64),
    np.ones((30, 30), bool),
    np.arange(900, dtype=np.uint16).reshape(30, 30),
]


@pytest.mark.parametrize("picture", ODD_PICTURES, ids=range(len(ODD_PICTURES)))
def test_looks_like_digit_never_raises_for_odd_pictures(picture):
    assert images.looks_like_digit(picture) in (True, False)


@pytest.mark.parametrize(
    "not_a_picture",
    [np.zeros((4, 4, 2), np.uint8), np.zeros((2, 3, 4, 5)), np.array(3), np.array([["a"]])],
)
def test_looks_like_digit_says_no_to_arrays_that_are_not_pictures(not_a_picture):
    assert images.looks_like_digit(not_a_picture) is False


def test_looks_like_digit_is_fast_on_a_1024_pixel_photo():
    """A downscaled copy does the work: a few ms, well under the 30 ms a page can spare."""
    import time

    photo = cv2.resize(
        images.load_image((corpus.ASSETS / "samples" / "coffee.jpg").read_bytes()), (1024, 683)
    )
    images.looks_like_digit(photo)
    start = time.perf_counter()
    for _ in range(5):
        images.looks_like_digit(photo)
    assert (time.perf_counter() - start) / 5 < 0.030


# --- prepare_product -----------------------------------------------------------------------------


def pasted_on_white(
    item: np.ndarray, scale: int = 10, noise: float = 3.0, seed: int = 0
) -> np.ndarray:
    """A Fashion-MNIST image as a photo would show it: dark object on white, `scale` times as
    large, a margin of 6 of its pixels, camera noise. (H, W, 3) uint8."""
    big = cv2.resize(255 - item, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    margin = 6 * scale
    page = np.pad(big.astype(np.float64), margin, constant_values=255)
    page += np.random.default_rng(seed).normal(0, noise, page.shape)
    gray = np.clip(page, 0, 255).astype(np.uint8)
    return np.dstack([gray, gray, gray])


def _fashion_test_images(count: int) -> np.ndarray:
    from cnnviz import data

    if not data.available()["fashion_mnist"].ok:
        pytest.skip("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)")
    return data.load("fashion_mnist").x_test[:count, :, :, 0]


def test_prepare_product_recovers_a_fashion_mnist_image_pasted_on_white():
    """Inverted, enlarged, padded with white and noisy: back to the original 28 × 28."""
    items = _fashion_test_images(50)
    errors, correlations = [], []
    for number, item in enumerate(items):
        result = images.prepare_product(pasted_on_white(item, seed=number)).result
        assert result.shape == (28, 28) and result.dtype == np.float32
        errors.append(np.abs(result - item / 255).mean())
        correlations.append(np.corrcoef(result.ravel(), item.ravel())[0, 1])
    # a few originals do not reach both edges on their long side; those come back enlarged
    assert np.median(errors) < 0.01 and np.mean(errors) < 0.03
    assert np.median(correlations) > 0.99 and min(correlations) > 0.7


def test_prepare_product_keeps_a_light_object_on_black_and_fits_the_long_side():
    """No inversion on a dark background; a wide object fills the width, centred in height."""
    photo = np.zeros((300, 500), np.uint8)
    photo[100:200, 50:450] = 200  # a light bar, 4 : 1
    steps = images.prepare_product(photo)
    assert np.array_equal(steps.inverted, photo)
    assert steps.cropped.shape == (100, 400)
    rows, cols = np.nonzero(steps.result > 0.5)
    assert cols.min() == 0 and cols.max() == 27
    assert rows.min() == 11 and rows.max() == 17
    assert steps.result.max() == pytest.approx(200 / 255)  # a black background: values kept


def test_prepare_product_inverts_a_light_background():
    photo = np.full((200, 200, 3), 240, np.uint8)
    photo[50:150, 80:120] = 30  # a dark object
    steps = images.prepare_product(photo)
    assert steps.gray.shape == (200, 200) and steps.gray.dtype == np.uint8
    assert steps.inverted[0, 0] == 15 and steps.inverted[100, 100] == 225
    assert steps.cropped[0, 0] > 200 and steps.result[0, 0] == 0.0 and steps.result[14, 14] > 0.8


@pytest.mark.parametrize("picture", ODD_PICTURES, ids=range(len(ODD_PICTURES)))
def test_prepare_product_never_raises_for_odd_pictures(picture):
    steps = images.prepare_product(picture)
    assert steps.result.shape == (28, 28) and steps.result.dtype == np.float32
    assert 0.0 <= steps.result.min() <= steps.result.max() <= 1.0


@pytest.mark.parametrize("value", [0, 128, 255])
def test_a_constant_picture_gives_a_black_product(value):
    steps = images.prepare_product(np.full((64, 80, 3), value, np.uint8))
    assert not steps.result.any()
