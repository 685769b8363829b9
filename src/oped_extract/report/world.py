"""Country outlines for maps: Natural Earth 1:110m admin-0 countries (public domain), simplified and shipped as
package data (src/oped_extract/data/world_110m.json, made by scripts/world_outlines.py).

Coordinates are plate carrée degrees: SVG x = longitude, y = -latitude, so a path drops straight into an SVG
whose viewBox is in degrees."""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from importlib import resources

WORLD_FILE = "world_110m.json"


@lru_cache(maxsize=1)
def countries() -> tuple[dict, ...]:
    """Every country: iso_a3, name and `d` (an SVG path in plate carrée degrees)."""
    text = resources.files("oped_extract.data").joinpath(WORLD_FILE).read_text(encoding="utf-8")
    return tuple(json.loads(text)["countries"])


def rings(d: str) -> list[list[tuple[float, float]]]:
    """An outline path as rings of (longitude, latitude)."""
    out = []
    for ring in re.findall(r"M([^Z]*)Z", d):
        pairs = [p.split() for p in ring.split("L")]
        out.append([(float(x), -float(y)) for x, y in pairs])
    return out


def plot_outlines(ax=None, *, extent: tuple[float, float, float, float] | None = None, **style):
    """Draw the country outlines on a matplotlib Axes (new figure if None) and return it; `extent` is
    (lon_min, lon_max, lat_min, lat_max). For notebooks: scatter places on top, e.g. from `entities`."""
    from matplotlib.collections import PolyCollection

    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(10, 5)).add_subplot()
    polygons = [ring for c in countries() for ring in rings(c["d"])]
    style = {"facecolor": "#eef0f2", "edgecolor": "#8a939c", "linewidth": 0.5, **style}
    ax.add_collection(PolyCollection(polygons, **style))
    lon0, lon1, lat0, lat1 = extent or (-180, 180, -60, 85)
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect("equal")
    return ax


@cache
def _bounds(d: str) -> tuple[float, float, float, float]:
    points = [p for ring in rings(d) for p in ring]
    lons, lats = [x for x, _ in points], [y for _, y in points]
    return min(lons), max(lons), min(lats), max(lats)


def overlaps(country: dict, extent: tuple[float, float, float, float]) -> bool:
    """Does the country's bounding box meet `extent` (lon_min, lon_max, lat_min, lat_max)? Maps of a region
    embed only the countries they show."""
    x0, x1, y0, y1 = _bounds(country["d"])
    return x0 <= extent[1] and x1 >= extent[0] and y0 <= extent[3] and y1 >= extent[2]
