import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { tsxLoader } from "../../scripts/shared/tsx-loader.js";

const cli = fileURLToPath(new URL("../../scripts/tools/cost/main.ts", import.meta.url));

export interface CostRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run cost -- ARGS` in `cwd` (where it looks for bench/results.json), as the single process npm would end in. */
export async function runCost(args: string[], cwd: string): Promise<CostRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", tsxLoader, cli, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
