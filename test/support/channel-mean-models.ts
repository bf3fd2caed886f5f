// Tiny ONNX image classifiers whose scores can be computed by hand: they average each colour channel of the
// input tensor, so every expected score follows from known pixel values and the manifest's normalisation.
import { createHash } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attr, type Dim, OnnxGraphBuilder } from "../../scripts/build-time/onnx/graph-builder.js";

export interface LinearHead {
  /** 3 x classes, row-major: logits[k] = sum_c mean[c] * weights[c * classes + k] + bias[k]. */
  weights: number[];
  bias: number[];
}

/** NCHW [batch, 3, height, width] → per-channel mean → linear head → logits [batch, classes]. */
export function channelMeanLogitsModel(options: {
  width: number;
  height: number;
  head: LinearHead;
  batch?: Dim;
  inputName?: string;
  outputName?: string;
}): Uint8Array {
  const { width, height, head } = options;
  const classes = head.bias.length;
  const b = new OnnxGraphBuilder("channel-mean-logits");
  const x = b.input(options.inputName ?? "pixel_values", [options.batch ?? "N", 3, height, width]);
  const w = b.initializer("head_weights", new Float32Array(head.weights), [3, classes]);
  const bias = b.initializer("head_bias", new Float32Array(head.bias), [classes]);
  const [means] = b.node("ReduceMean", [x], 1, { axes: attr.ints([2, 3]), keepdims: attr.int(0) });
  const [product] = b.node("MatMul", [means!, w]);
  const out = options.outputName ?? "logits";
  b.node("Add", [product!, bias], [out]);
  b.output(out, [options.batch ?? "N", classes]);
  return b.toBytes({ opset: 13 });
}

/** NHWC [batch, height, width, 3] → per-channel mean → softmax → probabilities [batch, 3]. */
export function channelMeanSoftmaxModel(options: { width: number; height: number; batch?: Dim }): Uint8Array {
  const { width, height } = options;
  const b = new OnnxGraphBuilder("channel-mean-softmax");
  const x = b.input("image", [options.batch ?? "N", height, width, 3]);
  const [means] = b.node("ReduceMean", [x], 1, { axes: attr.ints([1, 2]), keepdims: attr.int(0) });
  b.node("Softmax", [means!], ["probs"], { axis: attr.int(1) });
  b.output("probs", [options.batch ?? "N", 3]);
  return b.toBytes({ opset: 13 });
}

export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** Writes model.onnx, model.json (sha256 filled in unless given) and extra files into a fresh temp folder. */
export async function writeModelDir(
  model: Uint8Array,
  manifest: Record<string, unknown>,
  extraFiles: Record<string, string> = {},
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "model-"));
  await writeFile(join(dir, "model.onnx"), model);
  const withHash = { file: "model.onnx", sha256: sha256Hex(model), ...manifest };
  await writeFile(join(dir, "model.json"), JSON.stringify(withHash, null, 2));
  for (const [name, text] of Object.entries(extraFiles)) await writeFile(join(dir, name), text);
  return dir;
}

/** Numerically plain softmax for expected values. */
export function referenceSoftmax(values: number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}
