"""Architecture rules: imports only point down the layer table of ARCHITECTURE.md; optional
dependencies are never imported by ``import equiqnn``."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "equiqnn"
LAYERS = [
    "groups",
    "symmetry",
    "circuits",
    "noise",
    "sim",
    "models",
    "data",
    "train",
    "experiments",
    "cli",
]
RANK = {name: k for k, name in enumerate(LAYERS)}
OPTIONAL = ["ray", "mlflow", "wandb", "pennylane", "qiskit", "qiskit_aer", "quimb", "tensorcircuit"]


def _modules():
    return sorted(p for p in SRC.rglob("*.py"))


def _layer_of(path: Path) -> str | None:
    rel = path.relative_to(SRC).parts
    return rel[0] if len(rel) > 1 and rel[0] in RANK else None


def _imported_layers(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "equiqnn" and len(parts) > 1 and parts[1] in RANK:
                out.append((parts[1], node.lineno))
    return out


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down_the_layer_table(path):
    layer = _layer_of(path)
    if layer is None:
        return
    for target, line in _imported_layers(path):
        assert RANK[target] <= RANK[layer], (
            f"{path.relative_to(SRC)}:{line} imports equiqnn.{target}, which is above "
            f"equiqnn.{layer} in the layer table"
        )
        if layer == "data":
            assert target in ("groups", "data"), f"{path}:{line}: data may import only groups"


def test_the_layer_rule_catches_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from equiqnn.models import invariant_qnn\n")
    assert _imported_layers(bad) == [("models", 1)]


def test_import_equiqnn_loads_no_optional_dependency():
    code = f"import sys, equiqnn; print(','.join(m for m in {OPTIONAL!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
