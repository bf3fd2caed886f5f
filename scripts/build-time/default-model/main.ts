import { parseArgs } from "node:util";
import { buildDefaultModel } from "./build-default.js";
import { ensureDefaultModel } from "./ensure-default.js";
import { defaultModelDir } from "./model-dir.js";

const usage = `npm run model:ensure            build the default model only when model.onnx is missing or stale
npm run model:default           convert it again, always
Options: --rebuild (always convert), --dir DIR (default: $MODEL_DIR or model/)`;

const { values } = parseArgs({
  options: {
    rebuild: { type: "boolean", default: false },
    dir: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const modelDir = values.dir ?? defaultModelDir();

if (values.rebuild) {
  const built = await buildDefaultModel(modelDir);
  console.log(
    `default model built in ${(built.ms / 1000).toFixed(2)} s: ${built.modelPath} (${(built.bytes / 1e6).toFixed(2)} MB) sha256 ${built.sha256}`,
  );
} else {
  const outcome = await ensureDefaultModel(modelDir);
  if (outcome.action === "built") {
    console.log(`default model built (${outcome.reason}) in ${(outcome.ms / 1000).toFixed(2)} s, sha256 ${outcome.sha256}`);
  } else if (outcome.action === "left-alone") {
    console.log(`model:ensure: ${outcome.reason}`);
  }
}
