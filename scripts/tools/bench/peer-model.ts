import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Manifest } from "../../../handler/manifest.js";
import { attr, type Dim, editModel, valueInfoOf } from "../../build-time/onnx/graph-builder.js";

/** transformers.js feeds `pixel_values` (NCHW) and reads `logits`; these are the names the peer model must have. */
const PEER_INPUT = "pixel_values";
const PEER_OUTPUT = "logits";

function dimsOf(value: { type?: { tensor_type?: { shape?: { dim?: { dim_value?: unknown; dim_param?: string }[] } } } }): Dim[] {
  return (value.type?.tensor_type?.shape?.dim ?? []).map((d) =>
    d.dim_param ? d.dim_param : Number(typeof d.dim_value === "object" && d.dim_value ? String(d.dim_value) : (d.dim_value ?? 0)),
  );
}

/**
 * Our model with the interface transformers.js expects: an NCHW `pixel_values` input (a Transpose in front when our
 * model is NHWC) and a `logits` output (an Identity behind it when ours is named otherwise). Weights untouched.
 */
export function peerModelBytes(modelBytes: Uint8Array, manifest: Manifest): Uint8Array {
  const { input, output } = manifest;
  return editModel(modelBytes, (model) => {
    const graph = model.graph;
    const original = graph.input.find((value) => value.name === input.name);
    if (!original) throw new Error(`the model has no input named ${input.name}`);
    const [batch = "N"] = dimsOf(original);
    const nchw: Dim[] = [batch, 3, input.height, input.width];
    graph.input = graph.input.filter((value) => value !== original);
    graph.input.unshift(valueInfoOf(PEER_INPUT, nchw));
    if (input.layout === "NHWC") {
      graph.node.unshift({
        op_type: "Transpose",
        name: "peer_nchw_to_nhwc",
        input: [PEER_INPUT],
        output: [input.name],
        attribute: [{ name: "perm", ...attr.ints([0, 2, 3, 1]) }],
      });
    } else {
      graph.node.unshift({ op_type: "Identity", name: "peer_input", input: [PEER_INPUT], output: [input.name], attribute: [] });
    }
    if (output.name !== PEER_OUTPUT) {
      const outputInfo = graph.output.find((value) => value.name === output.name);
      if (!outputInfo) throw new Error(`the model has no output named ${output.name}`);
      graph.node.push({ op_type: "Identity", name: "peer_logits", input: [output.name], output: [PEER_OUTPUT], attribute: [] });
      graph.output = [{ ...outputInfo, name: PEER_OUTPUT }];
    }
  });
}

/** transformers.js config.json: the architecture (so AutoModelForImageClassification picks it) and the labels. */
export function peerConfig(manifest: Manifest): object {
  const id2label = Object.fromEntries(manifest.labels.map((label, i) => [String(i), label]));
  const label2id = Object.fromEntries(manifest.labels.map((label, i) => [label, i]));
  return {
    model_type: "mobilenet_v2",
    architectures: ["MobileNetV2ForImageClassification"],
    num_labels: manifest.labels.length,
    id2label,
    label2id,
  };
}

/**
 * preprocessor_config.json matching our manifest as closely as transformers.js allows: resize straight to the
 * input size (no crop), bilinear, rescale by `scale`, normalise with the manifest's mean and std.
 */
export function peerPreprocessorConfig(manifest: Manifest): object {
  const { input } = manifest;
  if (input.resize.mode !== "fill") throw new Error(`the peer comparison supports resize mode "fill" only, not ${input.resize.mode}`);
  return {
    image_processor_type: "MobileNetV2ImageProcessor",
    do_resize: true,
    size: { height: input.height, width: input.width },
    resample: 2,
    do_center_crop: false,
    do_rescale: true,
    rescale_factor: input.scale,
    do_normalize: true,
    image_mean: input.mean,
    image_std: input.std,
    do_convert_rgb: true,
    do_flip_channel_order: input.colorOrder === "BGR",
  };
}

/** Writes the offline transformers.js model folder `<root>/<name>` (reused while the model's sha256 is the same). */
export async function ensurePeerModel(root: string, modelDir: string, manifest: Manifest): Promise<{ root: string; name: string }> {
  const name = `peer-${manifest.sha256.slice(0, 12)}`;
  const dir = join(root, name);
  const onnxPath = join(dir, "onnx", "model.onnx");
  const done = join(dir, ".complete");
  const exists = await readFile(done, "utf8").then(
    (text) => text === manifest.sha256,
    () => false,
  );
  if (!exists) {
    const modelBytes = await readFile(join(modelDir, manifest.file));
    const actual = createHash("sha256").update(modelBytes).digest("hex");
    if (actual !== manifest.sha256) throw new Error(`${modelDir}/${manifest.file} does not match model.json's sha256`);
    await mkdir(join(dir, "onnx"), { recursive: true });
    await writeFile(onnxPath, peerModelBytes(modelBytes, manifest));
    await writeFile(join(dir, "config.json"), JSON.stringify(peerConfig(manifest), null, 2));
    await writeFile(join(dir, "preprocessor_config.json"), JSON.stringify(peerPreprocessorConfig(manifest), null, 2));
    await writeFile(done, manifest.sha256);
  }
  return { root, name };
}
