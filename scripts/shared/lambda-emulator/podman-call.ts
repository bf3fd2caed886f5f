import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** `podman --runtime runc <args>` (crun fails on this machine's hybrid cgroups). */
export async function runPodman(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync("podman", ["--runtime", "runc", ...args], { maxBuffer: 16 * 1024 * 1024 });
}
