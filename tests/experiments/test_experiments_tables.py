"""The doc tables' generators run (quick sizes) and report what the docs claim."""

from equiqnn.experiments import dla_families, symmetry_table


def test_dla_families_quick_table_matches_the_sn_formula(capsys):
    assert dla_families.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "| S5 (formula 54) | 5 | ΣX, ΣY, ΣZZ | 54 |" in out
    assert "| register 8x8 | 6 | 6 slot generators (RX pairs, YYYY) | 93 |" in out


def test_symmetry_table_rows_agree_with_covariance():
    rows = symmetry_table.rows(n_inputs=3)
    for r in rows:
        assert (r["delta"] > 1e-9) == (r["broken"] != "none"), r


def test_summary_keeps_data_sets_and_noise_settings_apart() -> None:
    from equiqnn.experiments.outputs import format_table, summarize

    def row(dataset: str, strength: float, seed: int, acc: float) -> dict:
        return {
            "model": "invariant",
            "n_train": 20,
            "seed": seed,
            "dataset": dataset,
            "noise_strength": strength,
            "layers": None,
            "test_acc": acc,
            "orbit_acc": acc,
            "n_params": 14,
        }

    rows = [
        row(d, s, seed, 0.9 if d == "digits" else 0.5)
        for d in ("digits", "ising")
        for s in (0.0, 0.1)
        for seed in (0, 1)
    ]
    summary = summarize(rows)
    assert len(summary) == 4 and all(s["seeds"] == 2 for s in summary)
    assert {(s["dataset"], s["clean_mean"]) for s in summary} == {("digits", 0.9), ("ising", 0.5)}
    table = format_table(summary)
    assert "| model | N | dataset | noise_strength |" in table and "layers" not in table
