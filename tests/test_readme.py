"""The README's Python example runs and prints what the README says (up to float noise)."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_example_prints_invariance_reports():
    code = _blocks("python")[0]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert len(lines) == 6
    assert (
        lines[0]
        == "InvariantQNN(D4 | RegisterAmplitude 16x16 | 12 params | statevector complex128)"
    )
    assert lines[1] == "Representation(D4 -> 8 qubits: X-strings per register and register swap)"
    for line in (lines[2], lines[4]):
        assert float(re.search(r"max_deviation=([0-9.e+-]+)", line).group(1)) < 1e-9
    assert float(re.search(r"max_deviation=([0-9.e+-]+)", lines[5]).group(1)) > 1e-3


def test_readme_test_command_is_what_ci_runs():
    ci = (README.parent / ".ci" / "run").read_text()
    command = next(b for b in _blocks("bash") if "pytest" in b).strip()
    assert command in ci
