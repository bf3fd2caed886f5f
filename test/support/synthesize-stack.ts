import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AnnotationMetadataEntryType, Testing } from "cdktf";
import { ClassifierStack } from "../../infra/classifier-stack.js";
import type { StageConfig } from "../../infra/config.js";

export type Json = Record<string, any>;

export const PROJECT_ROOT = resolve(fileURLToPath(import.meta.url), "../../..");

export interface SynthesizedStack {
  tf: Json;
  /** What the stack's constructs annotated as warnings (printed by cdktf synth). */
  warnings: string[];
}

/** One stage's stack synthesized offline; `buildInputsHash` stands in for the Docker context's hash. */
export function synthesizeStack(config: StageConfig, buildInputsHash: string): SynthesizedStack {
  const stack = new ClassifierStack(Testing.app(), "classifier-test", { config, projectRoot: PROJECT_ROOT, buildInputsHash });
  const tf = JSON.parse(Testing.synth(stack)) as Json;
  const warnings = stack.node
    .findAll()
    .flatMap((construct) => construct.node.metadata)
    .filter((entry) => entry.type === AnnotationMetadataEntryType.WARN)
    .map((entry) => String(entry.data));
  return { tf, warnings };
}
