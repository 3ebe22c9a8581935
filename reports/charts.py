"""Small SVG charts drawn on the server: a title, a description and the same figures as a table.

No JavaScript and no chart library: the template draws the shapes from the coordinates here,
and the page shows the table beside each chart, so a screen reader or a keyboard gets the figures.
"""
from __future__ import annotations

from dataclasses import dataclass, field

WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40
# Colours that keep 3:1 against white and apart from each other (USWDS blue, orange, green, violet).
COLOURS = ("#005ea2", "#c05600", "#00a91c", "#6b2fa3", "#1b1b1b", "#d83933", "#0d7ea2", "#936f38")
# Past the colours, lines repeat them dashed, so no two series look alike.
DASHES = ("", "6 3", "2 3")


@dataclass
class Chart:
    title: str
    desc: str
    width: int = WIDTH
    height: int = HEIGHT
    categories: list = field(default_factory=list)
    ticks: list = field(default_factory=list)        # (y, label) of the value axis
    labels: list = field(default_factory=list)       # (x, label) of the category axis
    series: list = field(default_factory=list)       # line: {"name", "colour", "points": "x,y x,y", "dots"}
    bars: list = field(default_factory=list)         # bar: {"x", "y", "w", "h", "label", "value"}
    bottom: int = HEIGHT - BOTTOM
    left: int = LEFT
    right: int = WIDTH - RIGHT


def _scale(maximum: int) -> tuple[int, list[int]]:
    """A round top for the axis and its ticks (at least 1, so an empty chart still draws)."""
    top = max(1, maximum)
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 50_000, 100_000):
        if top / step <= 5:
            break
    else:
        step = max(1, top // 5)
    top = -(-top // step) * step
    return top, list(range(0, top + 1, step))


def _y(value: int, top: int) -> float:
    return round(TOP + (HEIGHT - BOTTOM - TOP) * (1 - value / top), 1)


def line_chart(title: str, desc: str, categories: list[str], series: list[tuple[str, list[int]]]) -> Chart:
    chart = Chart(title, desc, categories=categories)
    top, ticks = _scale(max((v for _n, values in series for v in values), default=0))
    chart.ticks = [(_y(t, top), f"{t:,}") for t in ticks]
    n = max(1, len(categories) - 1)
    span = WIDTH - RIGHT - LEFT
    xs = [round(LEFT + span * i / n, 1) if len(categories) > 1 else LEFT + span / 2 for i in range(len(categories))]
    chart.labels = [(x, c[5:] if len(c) == 7 else c) for x, c in zip(xs, categories)]
    for index, (name, values) in enumerate(series):
        points = [(x, _y(v, top)) for x, v in zip(xs, values)]
        chart.series.append({"name": name, "colour": COLOURS[index % len(COLOURS)],
                             "dash": DASHES[(index // len(COLOURS)) % len(DASHES)],
                             "points": " ".join(f"{x},{y}" for x, y in points), "dots": points})
    return chart


def bar_chart(title: str, desc: str, categories: list[str], values: list[int]) -> Chart:
    chart = Chart(title, desc, categories=categories)
    top, ticks = _scale(max(values, default=0))
    chart.ticks = [(_y(t, top), f"{t:,}") for t in ticks]
    span = WIDTH - RIGHT - LEFT
    slot = span / max(1, len(values))
    for i, (label, value) in enumerate(zip(categories, values)):
        x, y = LEFT + slot * i + slot * 0.2, _y(value, top)
        chart.bars.append({"x": round(x, 1), "y": y, "w": round(slot * 0.6, 1), "h": round(HEIGHT - BOTTOM - y, 1),
                           "label": str(label), "value": value, "cx": round(x + slot * 0.3, 1)})
        chart.labels.append((round(x + slot * 0.3, 1), str(label)))
    return chart
