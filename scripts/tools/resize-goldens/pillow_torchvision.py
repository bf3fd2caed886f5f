#!/usr/bin/python3
"""Writes the golden fixtures of the Pillow resize conventions (test/fixtures/resize-goldens/pillow/).

Run with Debian's interpreter, which has Pillow, torchvision and numpy:

    /usr/bin/python3 scripts/tools/resize-goldens/pillow_torchvision.py

The inputs are synthetic and seeded, so a rerun with the same library versions writes the same files. The expected
outputs come from Pillow's Image.resize and from torchvision's Resize + CenterCrop on PIL images.
"""

import json
import platform
import sys
from pathlib import Path

import numpy as np
import PIL
import torchvision
from PIL import Image
from torchvision import transforms

OUT_DIR = Path(__file__).resolve().parents[3] / "test" / "fixtures" / "resize-goldens" / "pillow"

METHODS = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}
TORCHVISION_METHODS = {
    "bilinear": transforms.InterpolationMode.BILINEAR,
    "bicubic": transforms.InterpolationMode.BICUBIC,
}


def synthetic(width: int, height: int, seed: int) -> Image.Image:
    """Smooth colour waves, hard-edged blocks, a fine checkerboard and a noisy patch: every kernel tap matters."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = x / max(width, 1), y / max(height, 1)
    phase = rng.uniform(0, 2 * np.pi, size=(2, 3))
    frequency = rng.uniform(0.5, 3.0, size=(2, 3))
    # Each channel is a rounded wave along x plus one along y: smooth, and PNG's row filters compress it well.
    along_x = np.rint(60 * np.sin(2 * np.pi * frequency[0] * u[..., None] + phase[0]))
    along_y = np.rint(60 * np.sin(2 * np.pi * frequency[1] * v[..., None] + phase[1]))
    image = 128 + along_x + along_y
    disc = (u - 0.35) ** 2 + (v - 0.6) ** 2 < 0.04
    image[disc] = rng.integers(0, 256, size=3)
    for _ in range(4):
        left, top = rng.integers(0, width), rng.integers(0, height)
        right = min(width, left + rng.integers(1, max(2, width // 3)))
        bottom = min(height, top + rng.integers(1, max(2, height // 3)))
        image[top:bottom, left:right] = rng.choice([0, 255], size=3)
    checker = ((x // 2 + y // 2) % 2 == 0) & (u > 0.6) & (v > 0.6)
    image[checker] = [255, 255, 255]
    # Noise in one patch only: noise does not compress, and the fixtures should stay small.
    noisy = (u < 0.15) & (v < 0.15)
    image[noisy] += rng.integers(-6, 7, size=(int(noisy.sum()), 3))
    return Image.fromarray(np.clip(np.rint(image), 0, 255).astype(np.uint8), "RGB")


INPUTS = {
    "landscape-640x480": (640, 480, 1),
    "strong-reduction-1000x700": (1000, 700, 2),
    "upscale-37x29": (37, 29, 3),
    "odd-333x217": (333, 217, 4),
    "portrait-375x500": (375, 500, 5),
    "column-1x57": (1, 57, 6),
    "row-90x1": (90, 1, 7),
}

# (input, method, resized width, resized height): Image.resize to that size, the whole result expected.
DIRECT_CASES = [
    ("landscape-640x480", "bilinear", 224, 224),
    ("landscape-640x480", "bicubic", 224, 224),
    ("strong-reduction-1000x700", "bilinear", 96, 80),
    ("strong-reduction-1000x700", "bicubic", 96, 80),
    ("upscale-37x29", "bilinear", 224, 224),
    ("upscale-37x29", "bicubic", 224, 224),
    ("odd-333x217", "bilinear", 101, 67),
    ("odd-333x217", "bicubic", 387, 97),
    ("odd-333x217", "bicubic", 333, 100),
    ("odd-333x217", "bilinear", 150, 217),
    ("column-1x57", "bilinear", 1, 224),
    ("column-1x57", "bicubic", 7, 20),
    ("row-90x1", "bilinear", 31, 1),
    ("row-90x1", "bicubic", 31, 5),
]

# (input, method, Resize size, CenterCrop (height, width)): transforms.Compose([Resize, CenterCrop]) on the PIL image.
TORCHVISION_CASES = [
    ("landscape-640x480", "bilinear", 256, (224, 224)),
    ("portrait-375x500", "bilinear", 256, (224, 224)),
    ("portrait-375x500", "bicubic", 256, (224, 224)),
    ("strong-reduction-1000x700", "bilinear", 256, (200, 240)),
    ("strong-reduction-1000x700", "bicubic", 224, (224, 224)),
]


def torchvision_geometry(width: int, height: int, size: int, crop: tuple) -> tuple:
    """torchvision's Resize(int) size and CenterCrop offsets, written out so the index records them."""
    short, long = min(width, height), max(width, height)
    new_short, new_long = size, int(size * long / short)
    resized = (new_short, new_long) if width <= height else (new_long, new_short)
    crop_height, crop_width = crop
    top = int(round((resized[1] - crop_height) / 2.0))
    left = int(round((resized[0] - crop_width) / 2.0))
    return resized, {"left": left, "top": top, "width": crop_width, "height": crop_height}


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for old in OUT_DIR.glob("*.png"):
        old.unlink()
    sources = {}
    for name, (width, height, seed) in INPUTS.items():
        sources[name] = synthetic(width, height, seed)
        sources[name].save(OUT_DIR / f"input-{name}.png", optimize=True)

    cases = []
    for source, method, width, height in DIRECT_CASES:
        name = f"{source}-{method}-{width}x{height}"
        result = sources[source].resize((width, height), METHODS[method])
        result.save(OUT_DIR / f"expected-{name}.png", optimize=True)
        cases.append(
            {
                "name": name,
                "input": f"input-{source}.png",
                "method": method,
                "resize": {"width": width, "height": height},
                "crop": {"left": 0, "top": 0, "width": width, "height": height},
                "torchvision": None,
                "expected": f"expected-{name}.png",
            }
        )

    for source, method, size, crop in TORCHVISION_CASES:
        name = f"{source}-torchvision-{method}-resize{size}-crop{crop[1]}x{crop[0]}"
        image = sources[source]
        pipeline = transforms.Compose(
            [transforms.Resize(size, interpolation=TORCHVISION_METHODS[method]), transforms.CenterCrop(crop)]
        )
        result = pipeline(image)
        resized, box = torchvision_geometry(image.width, image.height, size, crop)
        by_hand = image.resize(resized, METHODS[method]).crop(
            (box["left"], box["top"], box["left"] + box["width"], box["top"] + box["height"])
        )
        if not np.array_equal(np.asarray(result), np.asarray(by_hand)):
            sys.exit(f"{name}: torchvision's output differs from Image.resize + crop with the recorded geometry")
        result.save(OUT_DIR / f"expected-{name}.png", optimize=True)
        cases.append(
            {
                "name": name,
                "input": f"input-{source}.png",
                "method": method,
                "resize": {"width": resized[0], "height": resized[1]},
                "crop": box,
                "torchvision": {"resize": size, "centerCrop": {"height": crop[0], "width": crop[1]}},
                "expected": f"expected-{name}.png",
            }
        )

    index = {
        "generator": "scripts/tools/resize-goldens/pillow_torchvision.py",
        "versions": {
            "python": platform.python_version(),
            "pillow": PIL.__version__,
            "torchvision": torchvision.__version__,
            "numpy": np.__version__,
        },
        "cases": cases,
    }
    (OUT_DIR / "index.json").write_text(json.dumps(index, indent=2) + "\n")
    total = sum(path.stat().st_size for path in OUT_DIR.iterdir())
    print(f"{len(cases)} cases, {total / 1024:.0f} KB in {OUT_DIR}")


if __name__ == "__main__":
    main()
