/** Keras Conv2D kernel [kh, kw, in, out] → ONNX Conv weight [out, in, kh, kw]. */
export function convKernelToOihw(kernel: Float32Array, [kh, kw, inC, outC]: number[]): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let i = 0; i < inC!; i++)
        for (let o = 0; o < outC!; o++)
          out[((o * inC! + i) * kh! + y) * kw! + x] = kernel[((y * kw! + x) * inC! + i) * outC! + o]!;
  return out;
}

/** Keras DepthwiseConv2D kernel [kh, kw, C, M] → ONNX grouped Conv weight [C*M, 1, kh, kw] (group = C). */
export function depthwiseKernelToOihw(kernel: Float32Array, [kh, kw, channels, multiplier]: number[]): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let c = 0; c < channels!; c++)
        for (let m = 0; m < multiplier!; m++)
          out[((c * multiplier! + m) * kh! + y) * kw! + x] = kernel[((y * kw! + x) * channels! + c) * multiplier! + m]!;
  return out;
}

export interface BatchNormParams {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
}

/**
 * Folds an inference-mode batch normalisation that follows a convolution into the convolution:
 * s = gamma / sqrt(var + eps); W'[o] = W[o]·s[o]; b' = (b − mean)·s + beta. Computed in float64.
 */
export function foldBatchNorm(
  weight: Float32Array,
  bias: Float32Array | undefined,
  bn: BatchNormParams,
): { weight: Float32Array; bias: Float32Array } {
  const outC = bn.gamma.length;
  const perOutput = weight.length / outC;
  if (!Number.isInteger(perOutput)) throw new Error(`batch norm of ${outC} channels does not fit a ${weight.length}-value kernel`);
  const foldedWeight = new Float32Array(weight.length);
  const foldedBias = new Float32Array(outC);
  for (let o = 0; o < outC; o++) {
    const s = bn.gamma[o]! / Math.sqrt(bn.variance[o]! + bn.epsilon);
    for (let k = o * perOutput; k < (o + 1) * perOutput; k++) foldedWeight[k] = weight[k]! * s;
    foldedBias[o] = ((bias?.[o] ?? 0) - bn.mean[o]!) * s + bn.beta[o]!;
  }
  return { weight: foldedWeight, bias: foldedBias };
}
