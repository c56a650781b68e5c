"""The public surface of equiqnn.data and its layering."""

import ast
import pathlib
import subprocess
import sys

import equiqnn.data as data

SRC = pathlib.Path(data.__file__).parent


def test_all_names_exist_and_package_has_a_docstring():
    assert data.__doc__
    for name in data.__all__:
        assert hasattr(data, name), name
    assert len(set(data.__all__)) == len(data.__all__)


def test_data_imports_only_groups_from_equiqnn():
    for path in SRC.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module and module.startswith("equiqnn"):
                assert module.startswith(("equiqnn.data", "equiqnn.groups")), (path, module)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("equiqnn.") or alias.name.startswith(
                        ("equiqnn.data", "equiqnn.groups")
                    ), (path, alias.name)


def test_import_is_light_and_side_effect_free():
    # the package root imports torch (models); the data layer itself adds no sklearn import
    code = (
        "import sys; import equiqnn.data; "
        "print(sorted(m for m in ('sklearn',) if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert out.stderr == ""


def test_no_print_or_assert_in_library_code():
    for path in SRC.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            assert not isinstance(node, ast.Assert), path
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "print", path
