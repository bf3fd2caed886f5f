import { readFile } from "node:fs/promises";

/** The cdktf outputs the remote engines read (infra's TerraformOutput names). */
export type DeploymentOutputName =
  | "batch_state_machine_arn"
  | "batch_function_alias_arn"
  | "batch_operations_role_arn"
  | "batch_results_bucket"
  | "batch_results_prefix";

export class MissingSettingError extends Error {}

/**
 * `cdktf deploy --outputs-file cdktf.out/outputs.json` writes `{ "<stack>": { "<output>": value } }`; the first stack
 * that has an output wins. A missing file yields no outputs (every setting must then come from a flag).
 */
export async function readDeploymentOutputs(path: string): Promise<Partial<Record<DeploymentOutputName, string>>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  const outputs: Partial<Record<DeploymentOutputName, string>> = {};
  let stacks: Record<string, unknown>;
  try {
    stacks = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${path} is not JSON`, { cause: error });
  }
  for (const stack of Object.values(stacks)) {
    if (typeof stack !== "object" || stack === null) continue;
    for (const [name, value] of Object.entries(stack)) {
      if (typeof value === "string" && !(name in outputs)) outputs[name as DeploymentOutputName] = value;
    }
  }
  return outputs;
}

/** A setting from its flag, else from the outputs file; a clear error naming both when neither has it. */
export function setting(flagValue: string | undefined, outputs: Partial<Record<DeploymentOutputName, string>>, name: DeploymentOutputName, flag: string, outputsFile: string): string {
  const value = flagValue ?? outputs[name];
  if (value === undefined || value === "") throw new MissingSettingError(`${flag} is needed (or the output ${name} in ${outputsFile}, written by npm run deploy)`);
  return value;
}
