#!/usr/bin/env python3
"""Writes Larder's app icons (web/public/icons/*.png): a jar shape on the theme colour, drawn
with the standard library only. The maskable variant keeps the shape inside the 80% safe zone.
Run once when the design changes; the PNGs are committed."""
import struct
import zlib
from pathlib import Path

THEME = (0x2F, 0x6B, 0x3F)
CREAM = (0xF6, 0xF1, 0xE4)
OUT = Path(__file__).resolve().parent.parent / "public" / "icons"


def png(size, pixel):
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            row.extend(pixel(x / size, y / size))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def jar(scale):
    """A lidded jar centred in the icon, `scale` of its full size."""

    def pixel(u, v):
        x = (u - 0.5) / scale + 0.5
        y = (v - 0.5) / scale + 0.5
        lid = 0.30 <= x <= 0.70 and 0.18 <= y <= 0.28
        body = 0.22 <= x <= 0.78 and 0.30 <= y <= 0.82
        return CREAM if lid or body else THEME

    return pixel


OUT.mkdir(parents=True, exist_ok=True)
for size in (192, 512):
    (OUT / f"icon-{size}.png").write_bytes(png(size, jar(1.0)))
(OUT / "icon-maskable-512.png").write_bytes(png(512, jar(0.7)))
