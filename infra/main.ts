import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { App } from "cdktf";
import { dockerContextHash } from "./docker-context.js";
import { ClassifierStack } from "./classifier-stack.js";
import { loadStageConfigs, StageConfigError } from "./config.js";

const infraDir = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(infraDir, "..");

try {
  const configs = loadStageConfigs({ configDir: process.env.INFRA_CONFIG_DIR ?? join(infraDir, "config") });
  const hash = dockerContextHash(projectRoot);
  const app = new App();
  for (const config of configs) {
    new ClassifierStack(app, `classifier-${config.stage}`, { config, projectRoot, buildInputsHash: hash });
  }
  app.synth();
} catch (error) {
  if (error instanceof StageConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
