import { attr, OnnxGraphBuilder } from "../../onnx/graph-builder.js";
import type { Weight } from "./dequantise.js";
import type { KerasLayer } from "./package-files.js";
import { convKernelToOihw, depthwiseKernelToOihw, foldBatchNorm, type BatchNormParams } from "./kernels.js";

/** A Keras functional model's graph: layers in topological order plus the model's input and output layer names. */
export interface KerasTopology {
  layers: KerasLayer[];
  inputLayers: string[];
  outputLayers: string[];
}

export interface ConvertOptions {
  graphName: string;
  inputName: string;
  outputName: string;
  batchDim: string;
  /** Extra ONNX metadata_props (provenance). */
  metadata: Record<string, string>;
}

/** Static shape of a value, batch excluded: feature maps are NCHW [c, h, w], vectors [features]. */
type MapShape = { kind: "map"; c: number; h: number; w: number };
type Shape = MapShape | { kind: "vector"; features: number };

interface Value {
  tensor: string;
  shape: Shape;
  /** Zero padding [top, left, bottom, right] not yet applied: folded into the consuming convolution's pads. */
  pendingPads?: number[];
}

const ONNX_OPSET = 13;

function pair(value: unknown, what: string): [number, number] {
  if (typeof value === "number") return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "number")) return value as [number, number];
  throw new Error(`${what}: expected a pair of numbers, got ${JSON.stringify(value)}`);
}

function mapShape(value: Value, consumer: string): MapShape {
  if (value.shape.kind !== "map") throw new Error(`${consumer}: expects a feature map input`);
  return value.shape;
}

/** Converts the Keras functional model (a TFJS Layers topology) into an ONNX graph; returns the serialised model. */
export function convertKerasModel(files: KerasTopology, weights: Map<string, Weight>, options: ConvertOptions): Uint8Array {
  const b = new OnnxGraphBuilder(options.graphName);
  const layers = files.layers;
  const consumers = new Map<string, KerasLayer[]>();
  for (const layer of layers) {
    for (const source of inboundNames(layer)) consumers.set(source, [...(consumers.get(source) ?? []), layer]);
  }
  const soleConsumer = (layer: KerasLayer) => {
    const list = consumers.get(layer.name) ?? [];
    return list.length === 1 ? list[0] : undefined;
  };
  if (files.outputLayers.length !== 1 || files.inputLayers.length !== 1) throw new Error("expected one input and one output layer");
  const outputLayer = files.outputLayers[0]!;

  const usedWeights = new Set<string>();
  const weight = (name: string): Weight => {
    const found = weights.get(name);
    if (!found) throw new Error(`weight ${name} is missing`);
    usedWeights.add(name);
    return found;
  };
  const values = new Map<string, Value>();
  const valueOf = (name: string): Value => {
    const found = values.get(name);
    if (!found) throw new Error(`layer output ${name} used before it is produced`);
    return found;
  };
  /** Applies pending zero padding with a Pad node when the consumer cannot absorb it. */
  const materialised = (value: Value): Value => {
    if (!value.pendingPads) return value;
    const [top, left, bottom, right] = value.pendingPads as [number, number, number, number];
    const pads = b.initializer(`${value.tensor}/pads`, new BigInt64Array([0n, 0n, BigInt(top), BigInt(left), 0n, 0n, BigInt(bottom), BigInt(right)]), [8]);
    const [tensor] = b.node("Pad", [value.tensor, pads], [`${value.tensor}/padded`]);
    const shape = mapShape(value, value.tensor);
    return { tensor: tensor!, shape: { kind: "map", c: shape.c, h: shape.h + top + bottom, w: shape.w + left + right } };
  };
  let relu6Bounds: [string, string] | undefined;
  const clipBounds = (): [string, string] =>
    (relu6Bounds ??= [b.initializer("relu6/min", new Float32Array([0]), []), b.initializer("relu6/max", new Float32Array([6]), [])]);
  const skipped = new Set<string>();

  for (const layer of layers) {
    if (skipped.has(layer.name)) continue;
    const config = layer.config;
    const inputs = inboundNames(layer).map(valueOf);
    const single = (): Value => {
      if (inputs.length !== 1) throw new Error(`${layer.name}: expected one input, got ${inputs.length}`);
      return inputs[0]!;
    };
    switch (layer.class_name) {
      case "InputLayer": {
        const [, height, width, channels] = config.batch_input_shape as [null, number, number, number];
        b.input(options.inputName, [options.batchDim, height, width, channels]);
        const [nchw] = b.node("Transpose", [options.inputName], ["input_nchw"], { perm: attr.ints([0, 3, 1, 2]) });
        values.set(layer.name, { tensor: nchw!, shape: { kind: "map", c: channels, h: height, w: width } });
        break;
      }
      case "ZeroPadding2D": {
        const input = materialised(single());
        const shape = mapShape(input, layer.name);
        const [rows, columns] = config.padding as [unknown, unknown];
        const [top, bottom] = pair(rows, `${layer.name}.padding`);
        const [left, right] = pair(columns, `${layer.name}.padding`);
        if (config.data_format !== "channels_last") throw new Error(`${layer.name}: data_format ${String(config.data_format)}`);
        values.set(layer.name, { tensor: input.tensor, shape, pendingPads: [top, left, bottom, right] });
        break;
      }
      case "Conv2D":
      case "DepthwiseConv2D": {
        const input = single();
        const shape = mapShape(input, layer.name);
        const depthwise = layer.class_name === "DepthwiseConv2D";
        const [kh, kw] = pair(config.kernel_size, `${layer.name}.kernel_size`);
        const [sh, sw] = pair(config.strides, `${layer.name}.strides`);
        const [dh, dw] = pair(config.dilation_rate, `${layer.name}.dilation_rate`);
        if (config.data_format !== "channels_last") throw new Error(`${layer.name}: data_format ${String(config.data_format)}`);
        const kernel = weight(`${layer.name}/${depthwise ? "depthwise_kernel" : "kernel"}`);
        const outC = depthwise ? shape.c * (config.depth_multiplier as number) : (config.filters as number);
        let w = depthwise ? depthwiseKernelToOihw(kernel.values, kernel.shape) : convKernelToOihw(kernel.values, kernel.shape);
        let bias = config.use_bias ? weight(`${layer.name}/bias`).values : undefined;

        const [pt, pl, pb, pr] = input.pendingPads ?? [0, 0, 0, 0];
        const paddedH = shape.h + pt! + pb!;
        const paddedW = shape.w + pl! + pr!;
        const [padH, padW] = [
          samePadding(config.padding, paddedH, kh, sh, dh, layer.name),
          samePadding(config.padding, paddedW, kw, sw, dw, layer.name),
        ];
        const pads = [pt! + padH[0], pl! + padW[0], pb! + padH[1], pr! + padW[1]];
        const outH = Math.floor((paddedH + padH[0] + padH[1] - (dh * (kh - 1) + 1)) / sh) + 1;
        const outW = Math.floor((paddedW + padW[0] + padW[1] - (dw * (kw - 1) + 1)) / sw) + 1;

        let outputLayer = layer;
        const next = soleConsumer(layer);
        const linear = (config.activation ?? "linear") === "linear";
        if (linear && next?.class_name === "BatchNormalization") {
          ({ weight: w, bias } = foldBatchNorm(w, bias, batchNormParams(next, weight)));
          skipped.add(next.name);
          outputLayer = next;
        }
        const weightName = b.initializer(`${layer.name}/weight`, w, [outC, depthwise ? 1 : shape.c, kh, kw]);
        const convInputs = [input.tensor, weightName];
        if (bias) convInputs.push(b.initializer(`${layer.name}/bias`, bias, [outC]));
        const [conv] = b.node("Conv", convInputs, [outputLayer.name], {
          kernel_shape: attr.ints([kh, kw]),
          strides: attr.ints([sh, sw]),
          dilations: attr.ints([dh, dw]),
          pads: attr.ints(pads),
          group: attr.int(depthwise ? shape.c : 1),
        });
        const activated = activation(b, conv!, config.activation, layer.name);
        values.set(outputLayer.name, { tensor: activated, shape: { kind: "map", c: outC, h: outH, w: outW } });
        break;
      }
      case "BatchNormalization": {
        const input = materialised(single());
        const shape = mapShape(input, layer.name);
        const bn = batchNormParams(layer, weight);
        const names = (["gamma", "beta", "mean", "variance"] as const).map((k) => b.initializer(`${layer.name}/${k}`, bn[k], [shape.c]));
        const [out] = b.node("BatchNormalization", [input.tensor, ...names], [layer.name], { epsilon: attr.float(bn.epsilon) });
        values.set(layer.name, { tensor: out!, shape });
        break;
      }
      case "ReLU": {
        const input = materialised(single());
        if ((config.negative_slope ?? 0) !== 0 || (config.threshold ?? 0) !== 0) throw new Error(`${layer.name}: only plain ReLU is supported`);
        const max = config.max_value as number | null | undefined;
        let out: string;
        if (max === 6) [out] = b.node("Clip", [input.tensor, ...clipBounds()], [layer.name]) as [string];
        else if (max == null) [out] = b.node("Relu", [input.tensor], [layer.name]) as [string];
        else {
          const bounds = [b.initializer(`${layer.name}/min`, new Float32Array([0]), []), b.initializer(`${layer.name}/max`, new Float32Array([max]), [])];
          [out] = b.node("Clip", [input.tensor, ...bounds], [layer.name]) as [string];
        }
        values.set(layer.name, { tensor: out, shape: input.shape });
        break;
      }
      case "Add": {
        const operands = inputs.map(materialised);
        let sum = operands[0]!.tensor;
        for (let k = 1; k < operands.length; k++) {
          [sum] = b.node("Add", [sum, operands[k]!.tensor], [k === operands.length - 1 ? layer.name : `${layer.name}/${k}`]) as [string];
        }
        values.set(layer.name, { tensor: sum, shape: operands[0]!.shape });
        break;
      }
      case "AveragePooling2D": {
        const input = materialised(single());
        const shape = mapShape(input, layer.name);
        const [kh, kw] = pair(config.pool_size, `${layer.name}.pool_size`);
        const [sh, sw] = pair(config.strides ?? config.pool_size, `${layer.name}.strides`);
        if (config.padding !== "valid") throw new Error(`${layer.name}: only valid padding is supported for pooling`);
        const [out] = b.node("AveragePool", [input.tensor], [layer.name], {
          kernel_shape: attr.ints([kh, kw]),
          strides: attr.ints([sh, sw]),
        });
        const outH = Math.floor((shape.h - kh) / sh) + 1;
        const outW = Math.floor((shape.w - kw) / sw) + 1;
        values.set(layer.name, { tensor: out!, shape: { kind: "map", c: shape.c, h: outH, w: outW } });
        break;
      }
      case "Flatten": {
        const input = materialised(single());
        const shape = mapShape(input, layer.name);
        let source = input.tensor;
        // Keras flattens channels-last; with more than one position the NCHW tensor must go back to NHWC first.
        if (shape.h * shape.w > 1) [source] = b.node("Transpose", [source], [`${layer.name}/nhwc`], { perm: attr.ints([0, 2, 3, 1]) }) as [string];
        const [out] = b.node("Flatten", [source], [layer.name], { axis: attr.int(1) });
        values.set(layer.name, { tensor: out!, shape: { kind: "vector", features: shape.c * shape.h * shape.w } });
        break;
      }
      case "Dense": {
        const input = materialised(single());
        if (input.shape.kind !== "vector") throw new Error(`${layer.name}: Dense on a feature map is not supported`);
        const kernel = weight(`${layer.name}/kernel`);
        const units = config.units as number;
        const gemmInputs = [input.tensor, b.initializer(`${layer.name}/kernel`, kernel.values, kernel.shape)];
        if (config.use_bias) gemmInputs.push(b.initializer(`${layer.name}/bias`, weight(`${layer.name}/bias`).values, [units]));
        const isOutput = layer.name === outputLayer;
        // The model's final softmax is dropped: the graph returns logits and the classifier applies softmax once.
        const act = isOutput && config.activation === "softmax" ? "linear" : (config.activation ?? "linear");
        const finalName = isOutput ? options.outputName : layer.name;
        const [gemm] = b.node("Gemm", gemmInputs, [act === "linear" ? finalName : `${layer.name}/linear`]);
        const out = activation(b, gemm!, act, layer.name, finalName);
        values.set(layer.name, { tensor: out, shape: { kind: "vector", features: units } });
        break;
      }
      case "Dropout":
        values.set(layer.name, single());
        break;
      default:
        throw new Error(`${layer.name}: Keras layer ${layer.class_name} is not supported`);
    }
  }

  const unused = [...weights.keys()].filter((name) => !usedWeights.has(name));
  if (unused.length > 0) throw new Error(`weights not used by any layer: ${unused.join(", ")}`);
  const result = valueOf(outputLayer);
  if (result.tensor !== options.outputName || result.shape.kind !== "vector") throw new Error(`output layer ${outputLayer} did not become ${options.outputName}`);
  b.output(options.outputName, [options.batchDim, result.shape.features]);
  return b.toBytes({ opset: ONNX_OPSET, producerName: "lambda-onnx-classifier", producerVersion: "1", metadata: options.metadata });
}

function inboundNames(layer: KerasLayer): string[] {
  if (layer.inbound_nodes.length > 1) throw new Error(`${layer.name}: shared layers are not supported`);
  return (layer.inbound_nodes[0] ?? []).map(([name, nodeIndex, tensorIndex]) => {
    if (nodeIndex !== 0 || tensorIndex !== 0) throw new Error(`${layer.name}: multi-output inbound ${name} is not supported`);
    return name;
  });
}

/** Keras "same" padding [before, after] along one axis (TensorFlow puts the odd pixel after); "valid" is none. */
function samePadding(mode: unknown, size: number, kernel: number, stride: number, dilation: number, layer: string): [number, number] {
  if (mode === "valid") return [0, 0];
  if (mode !== "same") throw new Error(`${layer}: padding ${String(mode)} is not supported`);
  const effective = dilation * (kernel - 1) + 1;
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + effective - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function batchNormParams(layer: KerasLayer, weight: (name: string) => Weight): BatchNormParams {
  const config = layer.config;
  if (config.axis !== -1 && config.axis !== 3 && !(Array.isArray(config.axis) && config.axis[0] === 3)) {
    throw new Error(`${layer.name}: batch norm over axis ${JSON.stringify(config.axis)} is not supported`);
  }
  const mean = weight(`${layer.name}/moving_mean`).values;
  const variance = weight(`${layer.name}/moving_variance`).values;
  return {
    gamma: config.scale === false ? new Float32Array(mean.length).fill(1) : weight(`${layer.name}/gamma`).values,
    beta: config.center === false ? new Float32Array(mean.length) : weight(`${layer.name}/beta`).values,
    mean,
    variance,
    epsilon: config.epsilon as number,
  };
}

function activation(b: OnnxGraphBuilder, tensor: string, kind: unknown, layerName: string, outputName = `${layerName}/act`): string {
  switch (kind) {
    case "linear":
    case undefined:
      return tensor;
    case "relu":
      return b.node("Relu", [tensor], [outputName])[0]!;
    case "softmax":
      return b.node("Softmax", [tensor], [outputName], { axis: attr.int(-1) })[0]!;
    default:
      throw new Error(`${layerName}: activation ${String(kind)} is not supported`);
  }
}
