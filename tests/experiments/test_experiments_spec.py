"""Study specs: unknown keys fail before any work, overrides equal the same values in YAML."""

from pathlib import Path

import pytest
import yaml

from equiqnn.experiments import ConfigError, apply_overrides, load_spec

QUICKSTART = str(Path(__file__).resolve().parents[2] / "configs" / "quickstart.yaml")


def test_quickstart_spec_validates():
    spec = load_spec(QUICKSTART)
    assert spec.models == ["invariant", "control", "symmetrized", "logistic", "cnn"]
    assert spec.data.n_train == [20, 40, 80] and spec.seeds == [0, 1, 2]


def test_unknown_key_is_rejected_with_a_close_match(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown key 'train.epoch' \(did you mean 'epochs'\?\)"):
        load_spec(QUICKSTART, ["train.epoch=3"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndata:\n  clases: [1, 2]\n")
    with pytest.raises(
        ConfigError, match=r"bad.yaml: unknown key 'data.clases' \(did you mean 'classes'\?\)"
    ):
        load_spec(bad)


def test_bad_values_name_the_key():
    with pytest.raises(ConfigError, match=r"train.epochs"):
        load_spec(QUICKSTART, ["train.epochs=0"])
    with pytest.raises(ConfigError, match=r"unknown model"):
        load_spec(QUICKSTART, ["models=[transformer]"])
    with pytest.raises(ConfigError, match=r"key=value"):
        load_spec(QUICKSTART, ["train.epochs"])
    with pytest.raises(ConfigError, match=r"no such spec file"):
        load_spec("configs/nope.yaml")


def test_overrides_equal_the_same_values_in_yaml(tmp_path):
    raw = yaml.safe_load(Path(QUICKSTART).read_text())
    raw["data"]["n_train"] = [10, 30]
    raw["train"]["epochs"] = 3
    path = tmp_path / "same.yaml"
    path.write_text(yaml.safe_dump(raw))
    from_cli = load_spec(QUICKSTART, ["data.n_train=10,30", "train.epochs=3"])
    assert from_cli == load_spec(path)


def test_comma_list_becomes_a_list_and_scalars_parse():
    out = apply_overrides({"a": {"b": 1}}, ["a.b=1,2", "a.c=0.5", "d=x"])
    assert out == {"a": {"b": [1, 2], "c": 0.5}, "d": "x"}


def test_smoke_applies_the_spec_smoke_section():
    spec = load_spec(QUICKSTART, smoke=True)
    assert spec.data.n_train == [20] and spec.seeds == [0] and spec.train.epochs == 2
