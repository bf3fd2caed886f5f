import { convertKerasModel } from "./convert.js";
import { dequantiseWeights } from "./dequantise.js";
import { loadNsfwjsMobileNetV2 } from "./package-files.js";

export const NSFWJS_INPUT_NAME = "input";
export const NSFWJS_OUTPUT_NAME = "logits";
export const NSFWJS_LABELS = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"];

export interface ConvertedNsfwjsModel {
  onnx: Uint8Array;
  packageVersion: string;
  modelPath: string;
}

/** nsfwjs's bundled Keras MobileNetV2 → ONNX bytes (NHWC float input in [0,1] with dynamic batch N, logits output). */
export async function buildNsfwjsOnnx(): Promise<ConvertedNsfwjsModel> {
  const files = await loadNsfwjsMobileNetV2();
  const weights = dequantiseWeights(files.weightSpecs, files.weightData);
  const onnx = convertKerasModel(files, weights, {
    graphName: "nsfwjs_mobilenet_v2",
    inputName: NSFWJS_INPUT_NAME,
    outputName: NSFWJS_OUTPUT_NAME,
    batchDim: "N",
    metadata: {
      source: `nsfwjs@${files.packageVersion} ${files.modelPath}`,
      license: "MIT",
      labels: NSFWJS_LABELS.join(","),
    },
  });
  return { onnx, packageVersion: files.packageVersion, modelPath: files.modelPath };
}
