import { createHash } from "node:crypto";
import { join } from "node:path";
import { MANIFEST_FILE } from "../../../handler/manifest.js";
import { writeFileAtomic } from "../files/atomic-write.js";
import { DEFAULT_MODEL_FILE, defaultManifest, formatManifest } from "./default-manifest.js";
import { buildNsfwjsOnnx } from "./nsfwjs/build-onnx.js";

export interface BuiltModel {
  modelPath: string;
  manifestPath: string;
  sha256: string;
  bytes: number;
  ms: number;
}

/** Converts nsfwjs's MobileNetV2 and writes `model.onnx` then `model.json` into modelDir, each atomically. */
export async function buildDefaultModel(modelDir: string): Promise<BuiltModel> {
  const started = performance.now();
  const { onnx, packageVersion, modelPath: sourcePath } = await buildNsfwjsOnnx();
  const sha256 = createHash("sha256").update(onnx).digest("hex");
  const modelPath = join(modelDir, DEFAULT_MODEL_FILE);
  const manifestPath = join(modelDir, MANIFEST_FILE);
  await writeFileAtomic(modelPath, onnx);
  await writeFileAtomic(manifestPath, formatManifest(defaultManifest(packageVersion, sourcePath, sha256)));
  return { modelPath, manifestPath, sha256, bytes: onnx.byteLength, ms: performance.now() - started };
}

