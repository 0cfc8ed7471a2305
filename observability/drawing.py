"""A simple layered layout of the communication map, for a server-side SVG (no JavaScript, no CDN).

Contexts go in columns by their longest chain of calls and commands (the storefront left, the contexts
nothing calls onward right); arrows between the same two contexts fan out as curves so that none hides
another; arrows inside one column bulge sideways by how many rows they cross.
"""
from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass

BOX_W, BOX_H = 150, 58
COLUMN_GAP, ROW_GAP, MARGIN = 440, 190, 40
LABEL_AT = 0.62  # where along an arrow its label sits (0 = its source)
FAN = 52  # px between the curves of two arrows joining the same pair of contexts


@dataclass(frozen=True)
class Box:
    """A context's box: its top-left corner and centre."""

    name: str
    x: float
    y: float

    @property
    def cx(self) -> float:
        return self.x + BOX_W / 2

    @property
    def cy(self) -> float:
        return self.y + BOX_H / 2


@dataclass(frozen=True)
class Curve:
    """One arrow's path (SVG `d`) and where its label sits."""

    d: str
    label_x: float
    label_y: float


def columns(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Each node's column: the longest path to it over `edges` (assumed acyclic; a cycle stops growing)."""
    column = dict.fromkeys(nodes, 0)
    for _ in range(len(nodes)):  # Bellman-Ford style: at most len(nodes) rounds, so a cycle cannot loop
        changed = False
        for source, target in edges:
            if source != target and source in column and target in column and column[target] < column[source] + 1:
                column[target], changed = column[source] + 1, True
        if not changed:
            break
    return column


def layout(nodes: list[str], edges: list[tuple[str, str]],
           arrows: list[tuple[str, str]] = ()) -> tuple[dict[str, Box], float, float]:
    """Boxes for `nodes` in columns set by `edges`, each column ordered so that `arrows` inside it are short;
    and the canvas width and height."""
    by_column: dict[int, list[str]] = defaultdict(list)
    for name, col in columns(nodes, edges).items():
        by_column[col].append(name)
    for col, names in by_column.items():
        by_column[col] = _shortest_order(sorted(names), arrows)
    rows = max((len(names) for names in by_column.values()), default=1)
    height = 2 * MARGIN + (rows - 1) * ROW_GAP + BOX_H
    boxes = {}
    for col, names in by_column.items():
        top = (height - (len(names) - 1) * ROW_GAP - BOX_H) / 2  # each column centred vertically
        for row, name in enumerate(names):
            boxes[name] = Box(name, MARGIN + col * COLUMN_GAP, top + row * ROW_GAP)
    width = 2 * MARGIN + max(by_column, default=0) * COLUMN_GAP + BOX_W + 4 * MARGIN  # room for bulges
    return boxes, width, height


def _shortest_order(names: list[str], arrows) -> list[str]:
    """The order of a column's boxes with the least rows crossed by arrows inside it (ties: alphabetical)."""
    if len(names) > 6:  # 720 orders at most; beyond that, keep it alphabetical
        return names
    inside = [(a, b) for a, b in arrows if a in names and b in names]

    def crossed(order):
        row = {name: i for i, name in enumerate(order)}
        return sum(abs(row[a] - row[b]) for a, b in inside)
    return list(min(itertools.permutations(names), key=crossed))


def curves(boxes: dict[str, Box], arrows: list[tuple[str, str]]) -> list[Curve]:
    """A curve per arrow (in order), fanned out among arrows joining the same two boxes."""
    siblings: dict[frozenset, list[int]] = defaultdict(list)
    for i, (source, target) in enumerate(arrows):
        siblings[frozenset((source, target))].append(i)
    result = []
    for i, (source, target) in enumerate(arrows):
        a, b = boxes[source], boxes[target]
        if a is b:  # a context to itself: a loop over the top of its box
            x0, x1, top = a.cx - BOX_W / 5, a.cx + BOX_W / 5, a.y
            d = f"M{x0:.1f},{top:.1f} C{x0 - 30:.1f},{top - 70:.1f} {x1 + 30:.1f},{top - 70:.1f} {x1:.1f},{top:.1f}"
            result.append(Curve(d, a.cx, top - 58))
            continue
        group = siblings[frozenset((source, target))]
        offset = (group.index(i) - (len(group) - 1) / 2) * FAN
        # Measure the offset from the pair's canonical direction, so a->b and b->a fan apart.
        first, second = (a, b) if source <= target else (b, a)
        dx, dy = second.cx - first.cx, second.cy - first.cy
        length = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / length, dx / length
        if a.x == b.x:  # same column: bulge out to the right past the boxes in between
            offset = abs(offset) + abs(b.cy - a.cy) / ROW_GAP * 55
            nx, ny = 1.0, 0.0
        mx, my = (a.cx + b.cx) / 2 + nx * offset * 2, (a.cy + b.cy) / 2 + ny * offset * 2
        x0, y0 = _border(a, mx, my)
        x1, y1 = _border(b, mx, my)
        d = f"M{x0:.1f},{y0:.1f} Q{mx:.1f},{my:.1f} {x1:.1f},{y1:.1f}"
        # The label sits past the middle (t = LABEL_AT), where arrows leaving one box have drawn apart.
        t = LABEL_AT
        result.append(Curve(d, (1 - t) ** 2 * x0 + 2 * t * (1 - t) * mx + t * t * x1,
                            (1 - t) ** 2 * y0 + 2 * t * (1 - t) * my + t * t * y1))
    return result


def _border(box: Box, toward_x: float, toward_y: float) -> tuple[float, float]:
    """Where the line from the box's centre toward a point leaves the box."""
    dx, dy = toward_x - box.cx, toward_y - box.cy
    if dx == dy == 0:
        return box.cx, box.cy
    t = min((BOX_W / 2) / abs(dx) if dx else math.inf, (BOX_H / 2) / abs(dy) if dy else math.inf)
    return box.cx + dx * t, box.cy + dy * t
