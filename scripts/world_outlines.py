"""Convert Natural Earth 1:110m admin-0 countries into the report's small outline file (run once, by hand).

Source: Natural Earth (public domain, https://www.naturalearthdata.com/about/terms-of-use/), 1:110m cultural
"Admin 0 - Countries", as shipped in the geopandas 0.14.4 wheel (``geopandas/datasets/naturalearth_lowres``;
geopandas 1.0 dropped it). Reproduce the shipped file::

    pip download geopandas==0.14.4 --no-deps -d /tmp/ne
    # sha256 3bb6473cb59d51e1a7fe2dbc24a1a063fb0ebdeddf3ce08ddbf8c7ddc99689aa
    python scripts/world_outlines.py /tmp/ne/geopandas-0.14.4-py3-none-any.whl \
        src/oped_extract/data/world_110m.json

The shapefile is read with the standard library (polygon records of the .shp, names and ISO codes from the .dbf),
each ring simplified (Douglas-Peucker, TOLERANCE degrees) and written as an SVG path in plate carrée
coordinates (x = longitude, y = -latitude, one decimal). Rings smaller than MIN_AREA square degrees are dropped.
"""

from __future__ import annotations

import json
import struct
import sys
import zipfile
from pathlib import Path

MEMBER = "geopandas/datasets/naturalearth_lowres/naturalearth_lowres"
TOLERANCE = 0.25
MIN_AREA = 0.4


def read_shapes(shp: bytes) -> list[list[list[tuple[float, float]]]]:
    """Polygon records (shape type 5) of a .shp file: per record, its rings of (lon, lat)."""
    shapes, pos = [], 100  # the file header is 100 bytes
    while pos < len(shp):
        _, length = struct.unpack(">ii", shp[pos:pos + 8])
        rec = shp[pos + 8:pos + 8 + 2 * length]
        pos += 8 + 2 * length
        (shape_type,) = struct.unpack("<i", rec[:4])
        if shape_type != 5:
            shapes.append([])
            continue
        n_parts, n_points = struct.unpack("<ii", rec[36:44])
        parts = list(struct.unpack(f"<{n_parts}i", rec[44:44 + 4 * n_parts])) + [n_points]
        xy = struct.unpack(f"<{2 * n_points}d", rec[44 + 4 * n_parts:44 + 4 * n_parts + 16 * n_points])
        points = list(zip(xy[0::2], xy[1::2], strict=True))
        shapes.append([points[a:b] for a, b in zip(parts, parts[1:], strict=False)])
    return shapes


def read_dbf(dbf: bytes) -> list[dict[str, str]]:
    """Records of a dBase III file, every field as stripped text."""
    n_records, header_len, record_len = struct.unpack("<IHH", dbf[4:12])
    fields, pos = [], 32
    while dbf[pos] != 0x0D:
        name = dbf[pos:pos + 11].split(b"\0")[0].decode()
        fields.append((name, dbf[pos + 16]))
        pos += 32
    out = []
    for i in range(n_records):
        rec = dbf[header_len + i * record_len:header_len + (i + 1) * record_len]
        values, at = {}, 1  # byte 0 is the deletion flag
        for name, size in fields:
            values[name] = rec[at:at + size].decode("utf-8", "replace").strip()
            at += size
        out.append(values)
    return out


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker on an open polyline (iterative, so long rings cannot exhaust the stack)."""
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (x1, y1), (x2, y2) = points[a], points[b]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        best, far = -1.0, -1
        for i in range(a + 1, b):
            x, y = points[i]
            d = abs(dy * (x - x1) - dx * (y - y1)) / norm if norm else ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
            if d > best:
                best, far = d, i
        if far > 0 and best > tolerance:
            keep[far] = True
            stack += [(a, far), (far, b)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def area(ring: list[tuple[float, float]]) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True))) / 2


def ring_path(ring: list[tuple[float, float]]) -> str:
    coords = []
    for x, y in ring:
        pair = f"{round(x, 1):g} {round(-y, 1) + 0:g}"
        if not coords or coords[-1] != pair:
            coords.append(pair)
    return "M" + "L".join(coords) + "Z"


def convert(wheel: Path) -> dict:
    with zipfile.ZipFile(wheel) as z:
        shp, dbf = z.read(MEMBER + ".shp"), z.read(MEMBER + ".dbf")
    countries = []
    for rings, rec in zip(read_shapes(shp), read_dbf(dbf), strict=True):
        paths = []
        for ring in rings:
            if area(ring) < MIN_AREA:
                continue
            simple = simplify(ring[:-1], TOLERANCE) if len(ring) > 4 else ring[:-1]
            if len(simple) >= 3:
                paths.append(ring_path(simple))
        if paths:
            countries.append({"iso_a3": rec["iso_a3"], "name": rec["name"], "d": "".join(paths)})
    return {
        "source": "Natural Earth 1:110m Admin 0 - Countries (public domain), via geopandas 0.14.4 "
                  "naturalearth_lowres; simplified by scripts/world_outlines.py",
        "projection": "plate carree: x = longitude, y = -latitude (degrees)",
        "tolerance_degrees": TOLERANCE,
        "countries": sorted(countries, key=lambda c: c["name"]),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__)
        return 2
    data = convert(Path(argv[1]))
    Path(argv[2]).write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(data['countries'])} countries, {Path(argv[2]).stat().st_size:,} bytes -> {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
