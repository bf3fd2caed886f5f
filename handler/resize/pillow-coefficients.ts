/**
 * The resampling coefficients of Pillow's convolution resize (libImaging/Resample.c, Pillow 9.4), for whole-image
 * boxes on 8-bit images: computed in double exactly as `precompute_coeffs` does, then converted to fixed point as
 * `normalize_coeffs_8bpc` does.
 */

import { BoundedCache } from "./bounded-cache.js";

/** Pillow's `PRECISION_BITS` for 8-bit images: two bits of headroom for kernels whose partial sums leave 0..1. */
export const PRECISION_BITS = 32 - 8 - 2;

export interface PillowFilter {
  readonly name: string;
  /** The kernel's support at scale 1, in source pixels. */
  readonly support: number;
  readonly weight: (x: number) => number;
}

export const BILINEAR: PillowFilter = {
  name: "bilinear",
  support: 1,
  weight: (x) => {
    const distance = x < 0 ? -x : x;
    return distance < 1 ? 1 - distance : 0;
  },
};

/** Keys' cubic with a = -0.5, written with the same operation order as Pillow so the doubles round alike. */
export const BICUBIC: PillowFilter = {
  name: "bicubic",
  support: 2,
  weight: (x) => {
    const a = -0.5;
    const distance = x < 0 ? -x : x;
    if (distance < 1) return ((a + 2) * distance - (a + 3)) * distance * distance + 1;
    if (distance < 2) return (((distance - 5) * distance + 8) * distance - 4) * a;
    return 0;
  },
};

/**
 * The fixed-point taps of output positions `start .. start + length - 1` when `inSize` pixels become `outSize`:
 * output position `start + i` reads `count[i]` source pixels from `first[i]` with the weights
 * `weights[i * taps .. i * taps + count[i] - 1]`.
 */
export interface Coefficients {
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly weights: Int32Array;
  readonly taps: number;
}

export function computeCoefficients(filter: PillowFilter, inSize: number, outSize: number, start: number, length: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = filter.support * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const inverseFilterScale = 1 / filterScale;
  const fixedOne = 2 ** PRECISION_BITS;

  const first = new Int32Array(length);
  const count = new Int32Array(length);
  const weights = new Int32Array(length * taps);
  const unnormalised = new Float64Array(taps);
  for (let i = 0; i < length; i++) {
    const center = (start + i + 0.5) * scale;
    // C's (int) cast truncates; a negative lower bound is clamped to 0 either way.
    const low = Math.max(0, Math.trunc(center - support + 0.5));
    const high = Math.min(inSize, Math.trunc(center + support + 0.5));
    const n = high - low;
    let total = 0;
    for (let x = 0; x < n; x++) {
      const weight = filter.weight((x + low - center + 0.5) * inverseFilterScale);
      unnormalised[x] = weight;
      total += weight;
    }
    for (let x = 0; x < n; x++) {
      const normalised = total !== 0 ? unnormalised[x]! / total : unnormalised[x]!;
      weights[i * taps + x] = normalised < 0 ? Math.trunc(-0.5 + normalised * fixedOne) : Math.trunc(0.5 + normalised * fixedOne);
    }
    first[i] = low;
    count[i] = n;
  }
  return { first, count, weights, taps };
}

const cache = new BoundedCache<Coefficients>(32);

/** `computeCoefficients` through a small cache keyed by (filter, in size, out size, window). */
export function coefficients(filter: PillowFilter, inSize: number, outSize: number, start: number, length: number): Coefficients {
  return cache.get(`${filter.name}:${inSize}:${outSize}:${start}:${length}`, () =>
    computeCoefficients(filter, inSize, outSize, start, length),
  );
}
