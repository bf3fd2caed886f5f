import ort from "onnxruntime-node";
import type { CatalogManifest } from "./catalog.js";

export interface TensorSignature {
  name: string;
  /** Numbers for fixed dimensions, strings for symbolic ones; undefined when the model does not say. */
  shape: ReadonlyArray<number | string> | undefined;
}

export interface ModelSignature {
  inputs: TensorSignature[];
  outputs: TensorSignature[];
}

function signatures(metadata: readonly ort.InferenceSession.ValueMetadata[]): TensorSignature[] {
  return metadata.map((value) => ({
    name: value.name,
    shape: value.isTensor && value.shape.length > 0 ? value.shape : undefined,
  }));
}

/** Opens the model in ONNX Runtime (which also proves it is a loadable ONNX file) and reads its inputs and outputs. */
export async function readModelSignature(modelPath: string): Promise<ModelSignature> {
  const session = await ort.InferenceSession.create(modelPath, { graphOptimizationLevel: "disabled" });
  try {
    return { inputs: signatures(session.inputMetadata), outputs: signatures(session.outputMetadata) };
  } finally {
    await session.release();
  }
}

const fits = (dim: number | string | undefined, expected: number) =>
  typeof dim !== "number" || dim <= 0 || dim === expected;

/** Every way the manifest fails to describe the model; empty when tensor names and input shape agree. */
export function signatureProblems(model: ModelSignature, manifest: Pick<CatalogManifest, "input" | "output">): string[] {
  const problems: string[] = [];
  const names = (list: TensorSignature[]) => list.map((t) => JSON.stringify(t.name)).join(", ");
  if (model.inputs.length !== 1) problems.push(`model has ${model.inputs.length} inputs (${names(model.inputs)}), expected 1`);
  const input = model.inputs.find((t) => t.name === manifest.input.name);
  if (!input) problems.push(`input ${JSON.stringify(manifest.input.name)} not in model (model inputs: ${names(model.inputs)})`);
  if (!model.outputs.some((t) => t.name === manifest.output.name)) {
    problems.push(`output ${JSON.stringify(manifest.output.name)} not in model (model outputs: ${names(model.outputs)})`);
  }
  if (input?.shape) {
    const { layout, width, height } = manifest.input;
    const [, a, b, c] = input.shape;
    const ok =
      input.shape.length === 4 &&
      (layout === "NCHW" ? fits(a, 3) && fits(b, height) && fits(c, width) : fits(a, height) && fits(b, width) && fits(c, 3));
    if (!ok) {
      const expected = layout === "NCHW" ? `[N,3,${height},${width}]` : `[N,${height},${width},3]`;
      problems.push(`input shape [${input.shape.join(",")}] does not match ${layout} ${expected}`);
    }
  }
  return problems;
}
