import { NSFWJS_INPUT_NAME, NSFWJS_LABELS, NSFWJS_OUTPUT_NAME } from "./nsfwjs/build-onnx.js";

export const DEFAULT_MODEL_NAME = "nsfwjs-mobilenet-v2";
export const DEFAULT_MODEL_FILE = "model.onnx";

/** The default model's model.json (shape fixed by the project's manifest contract). */
export function defaultManifest(packageVersion: string, modelPath: string, sha256: string) {
  return {
    name: DEFAULT_MODEL_NAME,
    version: packageVersion,
    description: `MobileNetV2 (Keras, 224x224) from nsfwjs ${packageVersion}, converted to ONNX by scripts/build-time/default-model`,
    source: {
      package: `nsfwjs@${packageVersion}`,
      path: modelPath,
      license: "MIT",
      converter: "scripts/build-time/default-model",
    },
    file: DEFAULT_MODEL_FILE,
    sha256,
    input: {
      name: NSFWJS_INPUT_NAME,
      layout: "NHWC",
      width: 224,
      height: 224,
      colorOrder: "RGB",
      resize: { mode: "fill", convention: "tensorflow-bilinear-align-corners" },
      scale: 1 / 255,
      mean: [0, 0, 0],
      std: [1, 1, 1],
    },
    output: { name: NSFWJS_OUTPUT_NAME, kind: "logits" },
    labels: NSFWJS_LABELS,
  };
}

/** Pretty JSON with short arrays of numbers or strings kept on one line, as the manifest is read by people too. */
export function formatManifest(manifest: object): string {
  return `${JSON.stringify(manifest, null, 2).replace(/\[\n\s+([^[\]{}]*?)\n\s*\]/g, (_, items: string) => `[${items.split(/,\n\s+/).join(", ")}]`)}\n`;
}
