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
