"""A camera we can run: a Y4M video of a QR label for Chromium's fake capture device
(`--use-file-for-fake-video-capture`), which loops the file as the phone's rear camera."""

from __future__ import annotations

from pathlib import Path

import qrcode

WIDTH, HEIGHT = 640, 480
FRAMES = 5  # Chromium loops the file; a few identical frames are enough
# Full-range luma (C420jpeg): black ink on a white label, held against a dim grey cage.
INK, PAPER, BACKGROUND = 0, 255, 70
QUIET_ZONE = 4  # modules of white around the symbol, as the QR standard asks
LABEL_SIDE = 400  # pixels: large, like a label held close to the lens


def make_qr_y4m(text: str, path: Path) -> Path:
    """Write a Y4M video of `text` as a QR code, large and centred, to `path`."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE)
    qr.add_data(text)
    qr.make(fit=True)
    modules = qr.get_matrix()  # quiet zone included
    scale = LABEL_SIDE // len(modules)
    side = scale * len(modules)
    left, top = (WIDTH - side) // 2, (HEIGHT - side) // 2

    luma = bytearray([BACKGROUND]) * (WIDTH * HEIGHT)
    for row_index, row in enumerate(modules):
        line = b"".join(bytes([INK if dark else PAPER]) * scale for dark in row)
        for dy in range(scale):
            start = (top + row_index * scale + dy) * WIDTH + left
            luma[start : start + side] = line
    chroma = bytes([128]) * ((WIDTH // 2) * (HEIGHT // 2))  # no colour: U and V at their midpoint
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma

    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * FRAMES)
    return path
