import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { convertKerasModel } from "../scripts/build-time/default-model/nsfwjs/convert.js";
import { dequantiseWeights } from "../scripts/build-time/default-model/nsfwjs/dequantise.js";
import type { KerasLayer, WeightSpec } from "../scripts/build-time/default-model/nsfwjs/package-files.js";

// The converter's general paths (ones the nsfwjs model does not use) checked against tfjs-layers itself:
// a Pad node, unfused and stride-2 "same" convolutions, depth multiplier 2, standalone BN, Flatten of a 2x2 map.
const [H, W, C] = [9, 9, 3];

function buildTfjsModel(): tf.LayersModel {
  const apply = (layer: tf.layers.Layer, ...inputs: tf.SymbolicTensor[]) =>
    layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as tf.SymbolicTensor;
  const input = tf.input({ shape: [H, W, C], name: "image" });
  const padded = apply(tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 1]], name: "pad_then_relu" }), input);
  const relu = apply(tf.layers.reLU({ name: "plain_relu" }), padded);
  const conv = apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: "same", useBias: true, name: "conv_same_s2" }), relu);
  const bn = apply(tf.layers.batchNormalization({ epsilon: 1e-3, name: "conv_bn" }), conv);
  const relu6 = apply(tf.layers.reLU({ maxValue: 6, name: "relu6" }), bn);
  const depthwise = apply(
    tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: "same", useBias: true, activation: "relu", name: "dw_relu" }),
    relu6,
  );
  const standaloneBn = apply(tf.layers.batchNormalization({ epsilon: 1e-3, name: "bn_after_activation" }), depthwise);
  const pointwise = apply(tf.layers.conv2d({ filters: 8, kernelSize: 1, useBias: false, name: "pointwise" }), relu6);
  const sum = apply(tf.layers.add({ name: "sum" }), standaloneBn, pointwise);
  const padded2 = apply(tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: "pad_into_conv" }), sum);
  const strided = apply(tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: "valid", useBias: false, name: "conv_valid_s2" }), padded2);
  const pooled = apply(tf.layers.averagePooling2d({ poolSize: 2, strides: 1, name: "pool" }), strided);
  const flat = apply(tf.layers.flatten({ name: "flatten" }), pooled);
  const dense = apply(tf.layers.dense({ units: 7, activation: "relu", name: "hidden" }), flat);
  const dropped = apply(tf.layers.dropout({ rate: 0.5, name: "dropout" }), dense);
  const output = apply(tf.layers.dense({ units: 3, activation: "softmax", name: "scores" }), dropped);
  return tf.model({ inputs: input, outputs: output });
}

/** Replaces tfjs's default initial weights (BN would be an identity) with seeded random values. */
function randomiseWeights(model: tf.LayersModel): void {
  model.setWeights(
    model.weights.map((w, k) =>
      w.name.endsWith("moving_variance")
        ? tf.randomUniform(w.shape as number[], 0.5, 1.5, "float32", 100 + k)
        : tf.randomUniform(w.shape as number[], -0.6, 0.6, "float32", 100 + k),
    ),
  );
}

async function savedArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  return saved!;
}

describe("Keras (TFJS Layers) → ONNX converter", () => {
  let model: tf.LayersModel;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    await tf.setBackend("cpu");
    model = buildTfjsModel();
    randomiseWeights(model);
    const artifacts = await savedArtifacts(model);
    const topology = artifacts.modelTopology as { config: { layers: KerasLayer[]; input_layers: string[][]; output_layers: string[][] } };
    const weightData = artifacts.weightData;
    const bytes = new Uint8Array(Array.isArray(weightData) ? tf.io.concatenateArrayBuffers(weightData) : weightData!);
    const weights = dequantiseWeights(artifacts.weightSpecs as WeightSpec[], bytes);
    const onnx = convertKerasModel(
      {
        layers: topology.config.layers,
        inputLayers: topology.config.input_layers.map(([name]) => name!),
        outputLayers: topology.config.output_layers.map(([name]) => name!),
      },
      weights,
      { graphName: "synthetic", inputName: "x", outputName: "logits", batchDim: "batch", metadata: {} },
    );
    session = await ort.InferenceSession.create(onnx);
  });

  it("matches tfjs predictions (softmax of logits) on a batch of 3", async () => {
    const x = tf.randomUniform([3, H, W, C], 0, 1, "float32", 7);
    const expected = (model.predict(x) as tf.Tensor).arraySync() as number[][];
    const result = await session.run({ x: new ort.Tensor("float32", x.dataSync() as Float32Array, [3, H, W, C]) });
    expect(result.logits!.dims).toEqual([3, 3]);
    const logits = result.logits!.data as Float32Array;
    for (let n = 0; n < 3; n++) {
      const row = Array.from(logits.subarray(n * 3, n * 3 + 3));
      const max = Math.max(...row);
      const exps = row.map((v) => Math.exp(v - max));
      const sum = exps.reduce((a, b) => a + b, 0);
      exps.forEach((e, k) => expect(Math.abs(e / sum - expected[n]![k]!)).toBeLessThan(1e-5));
    }
    // Random weights on random inputs: rows must differ, or the comparison above proves little.
    expect(expected[0]).not.toEqual(expected[1]);
  });
});

describe("dequantiseWeights", () => {
  it("decodes uint8 as min + q*scale and uint16 likewise, in manifest order", () => {
    const specs: WeightSpec[] = [
      { name: "a", shape: [3], dtype: "float32", quantization: { dtype: "uint8", min: -1, scale: 0.5 } },
      { name: "b", shape: [2], dtype: "float32", quantization: { dtype: "uint16", min: 10, scale: 0.25 } },
      { name: "c", shape: [1], dtype: "float32" },
    ];
    const data = new Uint8Array(3 + 4 + 4);
    data.set([0, 1, 255], 0);
    new DataView(data.buffer).setUint16(3, 4, true);
    new DataView(data.buffer).setUint16(5, 1000, true);
    new DataView(data.buffer).setFloat32(7, 1.5, true);
    const weights = dequantiseWeights(specs, data);
    expect(Array.from(weights.get("a")!.values)).toEqual([-1, -0.5, 126.5]);
    expect(Array.from(weights.get("b")!.values)).toEqual([11, 260]);
    expect(Array.from(weights.get("c")!.values)).toEqual([1.5]);
  });

  it("rejects weight data of the wrong length", () => {
    const specs: WeightSpec[] = [{ name: "a", shape: [4], dtype: "float32", quantization: { dtype: "uint8", min: 0, scale: 1 } }];
    expect(() => dequantiseWeights(specs, new Uint8Array(3))).toThrow(/ends early/);
    expect(() => dequantiseWeights(specs, new Uint8Array(5))).toThrow(/unused bytes/);
  });
});
