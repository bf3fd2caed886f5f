"""Golden fixtures for handler/resize/opencv.ts: cv2.resize (INTER_LINEAR, INTER_AREA) on synthetic 8-bit RGB images.

Run with Debian's interpreter (it has cv2 and numpy):  /usr/bin/python3 scripts/tools/resize-goldens/opencv.py
Writes PNG inputs and outputs plus index.json into test/fixtures/resize-goldens/opencv/ (replacing what is there).
The inputs are deterministic (numpy seeded), so a rerun with the same OpenCV build rewrites identical outputs.
"""

import json
import shutil
from pathlib import Path

import cv2
import numpy as np

OUT = Path(__file__).resolve().parents[3] / "test" / "fixtures" / "resize-goldens" / "opencv"

METHODS = {"linear": cv2.INTER_LINEAR, "area": cv2.INTER_AREA}

# input size -> output sizes; every output size is resized with both methods.
CASES = {
    (640, 480): [
        (224, 224),  # the common model input
        (160, 120),  # exact 4x: resizeAreaFast's generic path (sum * 1/16, rounded half to even)
        (213, 160),  # non-integer x, integer (3x) y
        (101, 77),  # 101*3 is not a multiple of 16: the vertical pass's scalar tail
    ],
    (1000, 700): [(96, 80), (224, 224)],  # strong reduction
    (37, 29): [(224, 224), (53, 71), (74, 58)],  # upscale (INTER_AREA becomes bilinear with its own coefficients)
    (333, 251): [(157, 119), (111, 251), (333, 167), (500, 100), (7, 5)],  # odd sizes, 3x1 area, height only, mixed, tiny
    (90, 62): [
        (45, 31),  # exact 2x (odd row length): INTER_LINEAR switches to INTER_AREA, resizeAreaFast's 2x2 path
        (45, 62),  # width only, exact 2x1 (resizeAreaFast's generic path, sum * 0.5)
        (30, 31),  # exact 3x2 (sum * (float)1/6)
        (13, 9),  # 13*3 = 39 elements per row
    ],
    (1, 50): [(1, 20), (1, 80), (5, 50), (3, 17)],  # 1 pixel wide
    (50, 1): [(20, 1), (80, 3)],  # 1 pixel high
}


def synthetic_image(width: int, height: int, seed: int) -> np.ndarray:
    """Smooth colour waves, hard-edged shapes, 1-pixel lines, two tiles of noise and sparse noise (the PNGs stay small)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    channels = []
    for c in range(3):
        fx, fy = rng.uniform(0.004, 0.02, size=2)
        phase = rng.uniform(0, 2 * np.pi)
        wave = 127.5 + 90 * np.sin(x * fx + phase) * np.cos(y * fy - phase) + 30 * (x / max(width, 1) - y / max(height, 1))
        channels.append(wave)
    image = np.stack(channels, axis=-1)
    for _ in range(6):
        x0, x1 = sorted(rng.integers(0, width + 1, size=2))
        y0, y1 = sorted(rng.integers(0, height + 1, size=2))
        image[y0:y1, x0:x1] = rng.integers(0, 256, size=3)
    cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(3, max(4, min(width, height) / 3))
    image[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.integers(0, 256, size=3)
    image[:, :: max(7, width // 9)] = 255
    image[:: max(5, height // 7), :] = 0
    tile = max(1, min(width, height) // 16)
    for _ in range(2):
        tx, ty = rng.integers(0, max(1, width - tile + 1)), rng.integers(0, max(1, height - tile + 1))
        image[ty : ty + tile, tx : tx + tile] = rng.integers(0, 256, size=(min(tile, height), min(tile, width), 3))
    image += rng.normal(0, 1.5, size=image.shape) * (rng.random(size=image.shape[:2]) < 0.004)[..., None]
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def build_flags() -> dict:
    info = cv2.getBuildInformation()
    lines = [line.strip() for line in info.splitlines()]

    def line_after(label: str) -> str:
        return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(label)), "")

    ipp_lines = [line for line in lines if line.startswith("Intel IPP")]
    return {
        "baseline": line_after("Baseline:"),
        "dispatched": line_after("Dispatched code generation:"),
        "ipp": ipp_lines if ipp_lines else "not used (no Intel IPP line in cv2.getBuildInformation())",
        "parallel": line_after("Parallel framework:"),
    }


def write_png(path: Path, rgb: np.ndarray) -> None:
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise RuntimeError(f"could not write {path}")


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    cases = []
    for seed, ((width, height), outputs) in enumerate(CASES.items()):
        source = synthetic_image(width, height, seed)
        input_name = f"input-{width}x{height}.png"
        write_png(OUT / input_name, source)
        for out_width, out_height in outputs:
            for method, flag in METHODS.items():
                # cv2 works on BGR, but resize treats the channels alike, so RGB in gives RGB out.
                expected = cv2.resize(source, (out_width, out_height), interpolation=flag)
                expected_name = f"{method}-{width}x{height}-to-{out_width}x{out_height}.png"
                write_png(OUT / expected_name, expected)
                cases.append(
                    {
                        "input": input_name,
                        "method": method,
                        "width": out_width,
                        "height": out_height,
                        "expected": expected_name,
                    }
                )
    index = {"opencv": cv2.__version__, "numpy": np.__version__, "build": build_flags(), "cases": cases}
    (OUT / "index.json").write_text(json.dumps(index, indent=2) + "\n")
    total = sum(path.stat().st_size for path in OUT.iterdir())
    print(f"{len(cases)} cases, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
