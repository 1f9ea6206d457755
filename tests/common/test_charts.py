"""Shared chart helpers: figures without pyplot, axes in the report language's formats."""

from __future__ import annotations

from datetime import date

import pandas as pd

from helpers import charts


def test_figure_is_built_without_pyplot_at_the_size_asked():
    fig = charts.figure(11, 3.5)
    assert type(fig).__name__ == "Figure" and fig.canvas.manager is None  # never shown
    assert (fig.get_figwidth(), fig.get_figheight()) == (11, 3.5)


def test_ticks_follow_the_language():
    assert charts.int_ticks("vi")(1234, 0) == "1.234"
    assert charts.int_ticks("en")(1234, 0) == "1,234"
    assert charts.pct_ticks("en")(0.25, 0) == "25%"
    assert charts.pct_ticks("vi", 1)(0.255, 0) == "25,5%"


def test_date_axis_writes_day_first():
    ax = charts.figure(4, 2).subplots()
    ax.plot(pd.to_datetime([date(2025, 11, 10), date(2025, 12, 1)]), [0, 1])
    charts.date_axis(ax)
    from matplotlib.dates import date2num

    assert ax.xaxis.get_major_formatter()(date2num(date(2025, 12, 1)), 0) == "01/12"


def test_style_axes_hides_the_top_and_right_spines():
    ax = charts.figure(4, 2).subplots()
    charts.style_axes(ax)
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    assert ax.spines["left"].get_visible()
