import { readFileSync } from "node:fs";
import protobuf from "protobufjs";

const protoText = readFileSync(new URL("./onnx.proto", import.meta.url), "utf8");
const root = protobuf.parse(protoText, { keepCase: true }).root;
const ModelProto = root.lookupType("onnx.ModelProto");

/** ONNX TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7 } as const;
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

export type Dim = number | string;
type TensorData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

interface Attribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats?: number[];
  ints?: number[];
}

/** Typed attribute constructors: ONNX rejects an INT where a FLOAT is expected, so the kind is always explicit. */
export const attr = {
  float: (value: number) => ({ type: AttributeType.FLOAT, f: value }),
  int: (value: number) => ({ type: AttributeType.INT, i: value }),
  string: (value: string) => ({ type: AttributeType.STRING, s: new TextEncoder().encode(value) }),
  floats: (values: number[]) => ({ type: AttributeType.FLOATS, floats: values }),
  ints: (values: number[]) => ({ type: AttributeType.INTS, ints: values }),
};
export type AttributeValue = ReturnType<(typeof attr)[keyof typeof attr]>;

function dataTypeOf(data: TensorData): number {
  if (data instanceof Float32Array) return DataType.FLOAT;
  if (data instanceof Int32Array) return DataType.INT32;
  if (data instanceof BigInt64Array) return DataType.INT64;
  return DataType.UINT8;
}

function valueInfo(name: string, dims: Dim[], elemType: number) {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

export interface ModelOptions {
  opset?: number;
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

/** Builds an ONNX model graph node by node and serialises it deterministically. */
export class OnnxGraphBuilder {
  private readonly nodes: object[] = [];
  private readonly initializers: object[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private nodeCount = 0;

  constructor(private readonly name: string) {}

  input(name: string, dims: Dim[], elemType: number = DataType.FLOAT): string {
    this.inputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  output(name: string, dims: Dim[], elemType: number = DataType.FLOAT): string {
    this.outputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  initializer(name: string, data: TensorData, dims: number[]): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) {
      throw new Error(`initializer ${name}: ${data.length} values for dims [${dims.join(",")}] (${expected})`);
    }
    // raw_data is little-endian bytes of exactly this view, not of the whole underlying buffer.
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dims, data_type: dataTypeOf(data), raw_data: raw });
    return name;
  }

  node(
    opType: string,
    inputs: string[],
    outputs: string[] | number = 1,
    attributes: Record<string, AttributeValue> = {},
  ): string[] {
    const index = this.nodeCount++;
    const outputNames =
      typeof outputs === "number"
        ? Array.from({ length: outputs }, (_, k) => `${opType.toLowerCase()}_${index}${outputs > 1 ? `_${k}` : ""}`)
        : outputs;
    const attribute: Attribute[] = Object.entries(attributes).map(([name, value]) => ({ name, ...value }));
    this.nodes.push({ op_type: opType, name: `${opType}_${index}`, input: inputs, output: outputNames, attribute });
    return outputNames;
  }

  toBytes(options: ModelOptions = {}): Uint8Array {
    const model = {
      ir_version: options.irVersion ?? 8,
      opset_import: [{ domain: "", version: options.opset ?? 13 }],
      producer_name: options.producerName ?? "lambda-onnx-classifier",
      producer_version: options.producerVersion ?? "",
      doc_string: options.docString ?? "",
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      metadata_props: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    };
    const problem = ModelProto.verify(model);
    if (problem) throw new Error(`invalid ONNX model: ${problem}`);
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }
}

/** A graph value (input or output) as onnx.proto's ValueInfoProto, in the snake_case field names protobufjs keeps. */
export interface OnnxValueInfo {
  name: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: { dim_value?: number | { toNumber(): number }; dim_param?: string }[] } } };
}

/** The parts of a decoded ModelProto that edits touch; everything else is carried through unchanged. */
export interface OnnxModel {
  graph: { name: string; node: object[]; input: OnnxValueInfo[]; output: OnnxValueInfo[] };
}

/**
 * Decodes an existing model, lets `edit` change it in place (e.g. prepend a node, rename an input), re-encodes it.
 * New nodes use the same shape as `OnnxGraphBuilder.node` produces: {op_type, name, input, output, attribute}.
 */
export function editModel(bytes: Uint8Array, edit: (model: OnnxModel) => void): Uint8Array {
  const message = ModelProto.decode(bytes) as unknown as OnnxModel;
  edit(message);
  const problem = ModelProto.verify(message);
  if (problem) throw new Error(`invalid ONNX model after edit: ${problem}`);
  return ModelProto.encode(message as unknown as protobuf.Message).finish();
}

/** A value-info entry, for edits that add graph inputs or outputs. */
export const valueInfoOf = (name: string, dims: Dim[], elemType: number = DataType.FLOAT): OnnxValueInfo => valueInfo(name, dims, elemType);
