import { defaultModelDir } from "../scripts/build-time/default-model/model-dir.js";
import { ensureDefaultModel } from "../scripts/build-time/default-model/ensure-default.js";

// Builds the default model (model/model.onnx + model.json) before any suite runs, when it is missing or stale.
export default async function setup(): Promise<void> {
  await ensureDefaultModel(defaultModelDir());
}
