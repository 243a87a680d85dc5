# SPDX-License-Identifier: ISC
# Turns the terminal QR code printed by odin-mfa-cli (UTF-8 half blocks, or
# ANSI background colours) back into a PGM image for zbarimg.  Reads the
# CLI's output on stdin, writes the image to argv[1].  A full block or a
# white ANSI cell is a light module (the quiet zone), a space is dark.
import re
import sys

UTF8 = {"\u2588": (1, 1), " ": (0, 0), "\u2580": (1, 0), "\u2584": (0, 1)}
text = sys.stdin.read()
rows = []
for line in text.splitlines():
    if "\x1b[" in line:
        # ANSI: each module is two cells with a background colour; 47/107 light, 40/100 dark.
        cells = re.findall(r"\x1b\[([0-9;]*)m([^\x1b]*)", line)
        row = []
        for codes, s in cells:
            light = any(c in ("47", "107") for c in codes.split(";"))
            dark = any(c in ("40", "100") for c in codes.split(";"))
            if not (light or dark):
                continue
            row += [1 if light else 0] * len(s)
        if row:
            rows.append(row[::2])
        continue
    if line and all(ch in UTF8 for ch in line) and len(line) > 20:
        rows.append([UTF8[ch][0] for ch in line])
        rows.append([UTF8[ch][1] for ch in line])
if not rows:
    sys.exit("no QR code found in the input")
w = max(len(r) for r in rows)
scale = 6
img = bytearray()
for r in rows:
    r = r + [1] * (w - len(r))
    line = bytearray()
    for v in r:
        line += bytes([255 if v else 0]) * scale
    img += bytes(line) * scale
with open(sys.argv[1], "wb") as f:
    f.write(b"P5\n%d %d\n255\n" % (w * scale, len(rows) * scale))
    f.write(img)
