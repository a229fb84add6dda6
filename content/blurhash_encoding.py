"""BlurHash (https://blurha.sh): the few dozen characters apps paint while media loads.

Written here rather than called from `blurhash-python`: its `encode` reads pixels through
Pillow's `Image.getdata`, deprecated since Pillow 12.1 and removed in Pillow 14, so it warns now
and will break then. This follows the published algorithm; a test checks it against that
library's C encoder."""

from __future__ import annotations

import math

from PIL import Image

_BASE83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"


def _srgb_to_linear(value: int) -> float:
    v = value / 255
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


_LINEAR = [_srgb_to_linear(v) for v in range(256)]


def _linear_to_srgb(value: float) -> int:
    v = max(0.0, min(1.0, value))
    if v <= 0.0031308:
        return int(v * 12.92 * 255 + 0.5)
    return int((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)


def _base83(value: int, length: int) -> str:
    return "".join(_BASE83[(value // 83 ** (length - i)) % 83] for i in range(1, length + 1))


def _sign_pow(value: float, exponent: float) -> float:
    return math.copysign(abs(value) ** exponent, value)


def _factors(image: Image.Image, x_components: int, y_components: int) -> list[list[float]]:
    """The DCT factors, row-major by (y component, x component), each [r, g, b]. The basis is
    separable, so each pixel row is summed once per x component."""
    width, height = image.size
    pixels = image.tobytes()
    cos_x = [[math.cos(math.pi * i * x / width) for x in range(width)] for i in range(x_components)]
    cos_y = [
        [math.cos(math.pi * j * y / height) for y in range(height)] for j in range(y_components)
    ]
    sums = [[[0.0, 0.0, 0.0] for _ in range(x_components)] for _ in range(y_components)]
    for y in range(height):
        row = pixels[y * width * 3 : (y + 1) * width * 3]
        linear = [_LINEAR[v] for v in row]
        for i in range(x_components):
            basis = cos_x[i]
            r = g = b = 0.0
            for x in range(width):
                weight = basis[x]
                r += weight * linear[3 * x]
                g += weight * linear[3 * x + 1]
                b += weight * linear[3 * x + 2]
            for j in range(y_components):
                weight_y = cos_y[j][y]
                target = sums[j][i]
                target[0] += weight_y * r
                target[1] += weight_y * g
                target[2] += weight_y * b
    factors = []
    for j in range(y_components):
        for i in range(x_components):
            scale = (1 if i == 0 and j == 0 else 2) / (width * height)
            factors.append([channel * scale for channel in sums[j][i]])
    return factors


def encode_blurhash(image: Image.Image, x_components: int = 4, y_components: int = 4) -> str:
    """The BlurHash of an RGB image. Pass a small image (about 100 pixels a side): the hash
    keeps only the lowest frequencies, and the cost grows with the pixel count."""
    if not (1 <= x_components <= 9 and 1 <= y_components <= 9):
        raise ValueError("BlurHash components must be between 1 and 9")
    if image.mode != "RGB":
        raise ValueError("encode_blurhash needs an RGB image")
    factors = _factors(image, x_components, y_components)
    dc, ac = factors[0], factors[1:]
    parts = [_base83((x_components - 1) + (y_components - 1) * 9, 1)]
    if ac:
        actual_max = max(abs(channel) for factor in ac for channel in factor)
        quantised_max = int(max(0, min(82, math.floor(actual_max * 166 - 0.5))))
        maximum = (quantised_max + 1) / 166
        parts.append(_base83(quantised_max, 1))
    else:
        maximum = 1.0
        parts.append(_base83(0, 1))
    red, green, blue = (_linear_to_srgb(channel) for channel in dc)
    parts.append(_base83((red << 16) + (green << 8) + blue, 4))
    for factor in ac:
        r, g, b = (
            int(max(0, min(18, math.floor(_sign_pow(channel / maximum, 0.5) * 9 + 9.5))))
            for channel in factor
        )
        parts.append(_base83(r * 19 * 19 + g * 19 + b, 2))
    return "".join(parts)
