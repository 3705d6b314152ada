"""No page or library code evaluates what a student types or uploads as code.

A static check over app.py, pages/ and cnnviz/: no eval/exec/compile, no pickle or marshal loads,
no unsafe YAML, no NumPy loads with allow_pickle, and every Keras model load says safe_mode=True
(a .keras file with a Lambda layer would otherwise run its bytecode).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "cnnviz").rglob("*.py")]
)

CODE_RUNNERS = {"eval", "exec", "compile", "__import__", "execfile"}
UNSAFE_LOADS = {
    ("pickle", "load"), ("pickle", "loads"), ("pickle", "Unpickler"),
    ("cPickle", "load"), ("cPickle", "loads"), ("dill", "load"), ("dill", "loads"),
    ("marshal", "load"), ("marshal", "loads"), ("shelve", "open"),
    ("yaml", "load"), ("yaml", "unsafe_load"), ("yaml", "full_load"), ("yaml", "load_all"),
    ("joblib", "load"), ("torch", "load"), ("pd", "read_pickle"), ("pandas", "read_pickle"),
    ("importlib", "import_module"), ("runpy", "run_path"), ("runpy", "run_module"),
}  # fmt: skip
MODEL_LOADERS = {"load_model", "load_weights_from_file"}


def dotted(node: ast.AST) -> tuple[str, ...]:
    """`a.b.c` -> ("a", "b", "c"); anything else -> ()."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return tuple(reversed(parts))
    return ()


def keyword(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def problems_in(path: Path, root: Path = ROOT) -> list[str]:
    """Each call in `path` that could run a student's text or file as code."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func)
        where = f"{path.relative_to(root)}:{node.lineno}"
        if len(name) == 1 and name[0] in CODE_RUNNERS:
            found.append(f"{where}: {name[0]}()")
        if len(name) >= 2 and (name[-2], name[-1]) in UNSAFE_LOADS:
            found.append(f"{where}: {'.'.join(name)}()")
        if name[-1:] == ("load",) and name[:1] in {("np",), ("numpy",)}:
            allow = keyword(node, "allow_pickle")
            if allow is not None and not (isinstance(allow, ast.Constant) and allow.value is False):
                found.append(f"{where}: np.load(allow_pickle=...)")
        if name and name[-1] in MODEL_LOADERS:
            safe = keyword(node, "safe_mode")
            if not (isinstance(safe, ast.Constant) and safe.value is True):
                found.append(f"{where}: {'.'.join(name)}() without safe_mode=True")
    return found


def test_the_check_sees_every_kind_of_code_runner(tmp_path):
    """The checker itself flags each pattern it is meant to forbid (so a pass means something)."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import pickle, yaml, numpy as np, keras\n"
        "eval(text)\nexec(text)\npickle.loads(data)\nyaml.load(text)\n"
        "np.load(f, allow_pickle=True)\nkeras.saving.load_model(p)\n"
        "keras.models.load_model(p, safe_mode=False)\nkeras.saving.load_model(p, safe_mode=True)\n"
        "np.load(f)\nyaml.safe_load(text)\n"
    )
    found = problems_in(sample, tmp_path)
    assert len(found) == 7, found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_code_evaluates_student_text_or_files(path):
    assert problems_in(path) == []


def test_the_check_covers_the_pages_and_the_library():
    names = {p.relative_to(ROOT).as_posix() for p in SOURCES}
    assert "app.py" in names
    assert any(n.startswith("pages/") for n in names)
    assert any(n.startswith("cnnviz/") for n in names)
