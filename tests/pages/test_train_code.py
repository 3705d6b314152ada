"""The Train page's way back to the notebook, through AppTest: after a real training, "Show the
Keras code" holds a script that compiles and names what was trained, and the model comes as
.keras and as an .h5 file that Keras loads back and that predicts as the trained model does."""

import numpy as np
import pytest

from cnnviz import data, i18n
from cnnviz.ui.model_store import STORE_KEY
from tests.pages.conftest import MEDIA, open_page
from tests.pages.test_train import PAGE, assert_no_problems, run_until_done


def downloads(at) -> dict[str, object]:
    """The page's download buttons by their key (AppTest has no typed element for them)."""
    return {element.proto.id.rsplit("-", 1)[-1]: element for element in at.get("download_button")}


def downloaded_bytes(button) -> bytes:
    """What a download button hands over: the media file its URL names."""
    file_id = button.proto.url.rsplit("/", 1)[-1].split(".")[0]
    return MEDIA[file_id]


def trained(lang: str):
    """The course MLP on 300 digits for one epoch, trained on the page in `lang`."""
    at = open_page(PAGE, lang=lang, timeout=60)
    at.selectbox(key=f"train_preset@{lang}").set_value("mlp").run()
    at.selectbox(key=f"train_images@{lang}").set_value(300).run()
    at.number_input(key="train_quick_epochs").set_value(1).run()
    at.button(key="train_start").click().run()
    at = run_until_done(at)
    assert_no_problems(at)
    return at


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_after_training_the_keras_code_compiles_and_both_model_files_are_offered(lang):
    at = trained(lang)

    expander = [e for e in at.expander if e.label == i18n.t("code.show", lang)]
    assert len(expander) == 1
    scripts = [c.value for c in expander[0].get("code")]
    assert len(scripts) == 1
    script = scripts[0]
    compile(script, "mlp.py", "exec")
    assert "keras.datasets.mnist.load_data()" in script
    assert "MAX_TRAIN_IMAGES = 300" in script and "EPOCHS = 1" in script
    assert 'name="mlp"' in script
    assert i18n.t("code.intro", lang, file="mlp.py") in [m.value for m in expander[0].markdown]
    assert "`python mlp.py`" in script  # the header names the file the page hands over

    buttons = downloads(at)
    assert {"train_download_model", "train_download_h5", "train_download_code"} <= set(buttons)
    assert buttons["train_download_h5"].proto.label == i18n.t("code.download_h5", lang)
    assert buttons["train_download_code"].proto.label == i18n.t("code.download", lang)
    file_text = downloaded_bytes(buttons["train_download_code"]).decode("utf-8")
    assert file_text.rstrip("\n") == script.rstrip("\n")  # st.code drops the last line break


def test_the_h5_download_loads_back_and_predicts_as_the_trained_model(tmp_path):
    import keras

    at = trained("en")
    h5 = downloaded_bytes(downloads(at)["train_download_h5"])
    assert h5.startswith(b"\x89HDF\r\n\x1a\n")
    path = tmp_path / "mlp.h5"
    path.write_bytes(h5)
    loaded = keras.models.load_model(path)

    trained_model = at.session_state[STORE_KEY]["mlp · mnist"].model
    images = data.load_mnist_sample().x_test[:64].astype("float32") / 255
    np.testing.assert_allclose(
        loaded.predict(images, verbose=0), trained_model.predict(images, verbose=0), atol=1e-6
    )
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in trained_model.layers]


def test_in_korean_the_keras_code_has_korean_comments_and_the_same_code():
    import io
    import re
    import tokenize

    at = trained("ko")

    (script,) = [c.value for c in at.code if "keras.datasets.mnist.load_data()" in c.value]
    compile(script, "mlp.py", "exec")
    assert "# Made by cnnviz" not in script and "# ## Prepare the data" not in script
    for key in ("prepare", "build", "train", "evaluate"):
        assert "# ## " + i18n.t(f"code.script.{key}", "ko") in script
    tokens = list(tokenize.generate_tokens(io.StringIO(script + "\n").readline))
    comments = [token.string for token in tokens if token.type == tokenize.COMMENT]
    assert comments and all(re.search("[\uac00-\ud7a3]", comment) for comment in comments)
    assert "MAX_TRAIN_IMAGES = 300" in script and 'name="mlp"' in script
