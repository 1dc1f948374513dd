"""The summary's charts as small PNG pictures for mail, drawn with numpy alone.

Mail clients show PNG attachments inline (by Content-ID); many hide inline SVG, and a
plotting library would be a heavy dependency for three simple shapes. So the picture holds
only the shapes, in the palette's colours; the words and numbers sit in an HTML legend
beside it, where they stay text (readable, searchable, in the workbook's language) and no
font has to be drawn into pixels.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]
BACKGROUND = "#ffffff"
TRACK = "#eef2f7"  # the empty part of a bar
DOT_RADIUS = 4  # pixels: a line chart's point


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)


def png(pixels: np.ndarray) -> bytes:
    """An RGB array (height, width, 3) as PNG bytes."""
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def bars(values: list[float], width: int = 480, bar: int = 22, gap: int = 10) -> bytes:
    """Horizontal bars, one per value, longest = full width; bar i in `colour(i)`."""
    count = max(len(values), 1)
    height = count * (bar + gap) + gap
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    pixels[:] = _rgb(BACKGROUND)
    top = max([v for v in values if v > 0], default=1.0)
    for i, value in enumerate(values):
        y = gap + i * (bar + gap)
        pixels[y : y + bar, :] = _rgb(TRACK)
        length = int(round(width * max(value, 0.0) / top))
        if value > 0:
            length = max(length, 3)  # a small number still shows
        pixels[y : y + bar, :length] = _rgb(colour(i))
    return png(pixels)


def pie(values: list[float], size: int = 240) -> bytes:
    """A pie (a ring, so it reads as shares at a glance), slice i in `colour(i)`."""
    pixels = np.empty((size, size, 3), dtype=np.uint8)
    pixels[:] = _rgb(BACKGROUND)
    total = sum(v for v in values if v > 0)
    y, x = np.mgrid[0:size, 0:size] - (size - 1) / 2
    radius = np.hypot(x, y)
    ring = (radius <= size / 2 - 2) & (radius >= size * 0.22)
    if not total:
        pixels[ring] = _rgb(TRACK)
        return png(pixels)
    angle = (np.degrees(np.arctan2(x, -y)) + 360) % 360  # clockwise from twelve o'clock
    start = 0.0
    for i, value in enumerate(values):
        if value <= 0:
            continue
        end = start + 360 * value / total
        pixels[ring & (angle >= start) & (angle < end + 1e-9)] = _rgb(colour(i))
        start = end
    return png(pixels)


def line(values: list[float], width: int = 480, height: int = 160, pad: int = 10) -> bytes:
    """A trend: the values left to right joined by a line, each day a dot, zero at the foot
    (so a fall reads as a fall, not as a zoomed wiggle)."""
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    pixels[:] = _rgb(BACKGROUND)
    pixels[height - pad, pad : width - pad] = _rgb(TRACK)  # the zero line
    top = max([v for v in values if v > 0], default=1.0)
    count = len(values)
    xs = [pad + (width - 2 * pad) * i / max(count - 1, 1) for i in range(count)]
    ys = [height - pad - (height - 2 * pad) * max(v, 0.0) / top for v in values]
    y, x = np.mgrid[0:height, 0:width]
    for i in range(count - 1):  # each segment as the pixels within 1.5 px of it
        steps = np.linspace(0, 1, int(abs(xs[i + 1] - xs[i]) + abs(ys[i + 1] - ys[i])) + 2)
        for t in steps:
            px, py = xs[i] + t * (xs[i + 1] - xs[i]), ys[i] + t * (ys[i + 1] - ys[i])
            near = (
                slice(max(int(py) - 1, 0), int(py) + 2),
                slice(max(int(px) - 1, 0), int(px) + 2),
            )
            pixels[near] = _rgb(colour(0))
    for px, py in zip(xs, ys, strict=True):
        pixels[(x - px) ** 2 + (y - py) ** 2 <= DOT_RADIUS**2] = _rgb(colour(3))
    return png(pixels)


def picture(chart: dict) -> bytes:
    """A chart from `remind.chart_data` as PNG: a pie for shares, a line for a trend, bars
    for the others."""
    if chart["kind"] == "pie":
        return pie(chart["values"])
    return line(chart["values"]) if chart["kind"] == "line" else bars(chart["values"])
