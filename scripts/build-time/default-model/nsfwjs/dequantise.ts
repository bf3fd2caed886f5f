import type { WeightSpec } from "./package-files.js";

export interface Weight {
  shape: number[];
  values: Float32Array;
}

const bytesPerValue: Record<string, number> = { uint8: 1, uint16: 2, float32: 4 };

/**
 * Decodes TFJS weight data into float32 tensors by name. Quantised weights become
 * `q * scale + min` per tensor, computed exactly as tfjs-core's decodeWeights does.
 */
export function dequantiseWeights(specs: WeightSpec[], data: Uint8Array): Map<string, Weight> {
  const weights = new Map<string, Weight>();
  let offset = 0;
  for (const spec of specs) {
    if (spec.dtype !== "float32") throw new Error(`weight ${spec.name}: dtype ${spec.dtype} is not supported`);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const storedAs = spec.quantization?.dtype ?? "float32";
    const size = bytesPerValue[storedAs];
    if (size === undefined) throw new Error(`weight ${spec.name}: quantisation ${storedAs} is not supported`);
    const byteLength = count * size;
    if (offset + byteLength > data.byteLength) throw new Error(`weight ${spec.name}: weight data ends early`);
    const bytes = new Uint8Array(data.subarray(offset, offset + byteLength)); // a copy, so aligned for the views below
    offset += byteLength;

    const values = new Float32Array(count);
    if (storedAs === "float32") {
      values.set(new Float32Array(bytes.buffer, bytes.byteOffset, count));
    } else {
      const { min, scale } = spec.quantization ?? {};
      if (min === undefined || scale === undefined) throw new Error(`weight ${spec.name}: quantisation lacks min/scale`);
      const quantised = storedAs === "uint8" ? bytes : new Uint16Array(bytes.buffer, bytes.byteOffset, count);
      for (let i = 0; i < count; i++) values[i] = quantised[i]! * scale + min;
    }
    weights.set(spec.name, { shape: spec.shape, values });
  }
  if (offset !== data.byteLength) throw new Error(`weight data has ${data.byteLength - offset} unused bytes`);
  return weights;
}
