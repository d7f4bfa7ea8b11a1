"""``audioscale.tables``: the one table printer of the notebooks."""
import numpy as np
import pandas as pd

from audioscale.tables import format_table, show, small_cost_formatters, three_or_one


def test_small_costs_keep_significant_digits_others_are_rounded():
    df = pd.DataFrame({"label": ["a", "b"], "gflops_paper": [0.06463, 1.352], "budget": [0.0647, 1.36],
                       "wer_pct": [36.6612, 10.2549], "gflops": [351.5, 1202.6]})
    assert set(small_cost_formatters(df)) == {"gflops_paper", "budget"}  # gflops reaches 100: rounded instead
    lines = format_table(df).splitlines()
    assert lines[0].split() == ["label", "gflops_paper", "budget", "wer_pct", "gflops"]
    assert lines[1].split() == ["a", "0.06463", "0.0647", "36.66", "351.5"]
    assert lines[2].split() == ["b", "1.352", "1.36", "10.25", "1202.6"]
    assert format_table(df, 1).splitlines()[1].split()[3] == "36.7"


def test_float_format_index_and_missing_values():
    df = pd.DataFrame({"x": [0.1234, 41.44], "y": [np.nan, 2.0]}, index=["p", "q"])
    assert format_table(df, float_format=three_or_one).splitlines()[1:] == [
        "0.123   NaN", " 41.4 2.000"]
    with_index = format_table(df, 2, index=True, na_rep="").splitlines()
    assert with_index[1].startswith("p") and with_index[1].rstrip().endswith("0.12")
    assert format_table(df, None).splitlines()[1].split() == ["0.1234", "NaN"]
    assert three_or_one(-9.545) == "-9.545" and three_or_one(-14.43) == "-14.4"


def test_show_prints_the_formatted_table(capsys):
    df = pd.DataFrame({"a": [1.23456]})
    show(df, 3)
    assert capsys.readouterr().out == format_table(df, 3) + "\n"
