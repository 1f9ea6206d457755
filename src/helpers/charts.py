"""Chart helpers shared by the stages that draw (progress's notebooks charts, the briefing):
matplotlib figures built without pyplot, so nothing is shown or kept open behind the caller's
back, and the axis formats the suite uses (day-first dates, integers and per cents in the
report language's number format). Draws nothing itself; reads and writes no file."""

from __future__ import annotations

from helpers.i18n import fmt_int, fmt_pct


def figure(width: float, height: float):
    """A matplotlib ``Figure`` of ``width`` x ``height`` inches, constrained layout."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def style_axes(ax) -> None:
    """The briefing's quiet axes: no top and right spines, grey ticks, light horizontal grid."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color("#777777")
    ax.tick_params(colors="#333333", labelsize=7)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def date_axis(ax, *, labelsize: float = 8) -> None:
    """Day-first dates on the x axis (dd/mm), as Vietnamese forms write them."""
    from matplotlib.dates import DateFormatter

    ax.xaxis.set_major_formatter(DateFormatter("%d/%m"))
    ax.tick_params(axis="x", labelsize=labelsize)


def int_ticks(lang: str):
    """A tick formatter writing whole numbers in ``lang``'s format (1.234 / 1,234)."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: fmt_int(v, lang))


def pct_ticks(lang: str, decimals: int = 0):
    """A tick formatter writing shares as per cents in ``lang``'s format."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: fmt_pct(v, lang, decimals))
