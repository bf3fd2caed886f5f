import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A TypeScript entry point of the repo in its own Node process (tsx loader, no wrapper process in between). */
export function spawnScript(script: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: repoRoot,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** A test process that ends without afterAll (crash, timeout) must not leave `child` running. */
export function killWithTestProcess(child: ChildProcess): void {
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** `npm run batch -- ARGS` as the same single process npm would end in. */
export const runBatchCli = (args: string[], env: Record<string, string> = {}) =>
  collect(spawnScript("scripts/tools/batch/main.ts", args, env));

/**
 * The URL a `scripts/tools/serve/main.ts` child announces on stderr once it listens; rejects with its output if it exits first.
 * Keeps reading stderr afterwards, so the child never blocks on a full pipe.
 */
export function announcedFunctionUrl(child: ChildProcess): Promise<string> {
  let stderr = "";
  return new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /Local function URL: (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`the local server exited with ${code}: ${stderr}`)));
  });
}

export interface ServeChild {
  url: string;
  stop(): Promise<void>;
}

/** `npm start` on a free port in a child process with its own environment variables. */
export async function startServeChild(env: Record<string, string>, args: string[] = []): Promise<ServeChild> {
  const child = spawnScript("scripts/tools/serve/main.ts", ["--port", "0", ...args], env);
  killWithTestProcess(child);
  child.stdout!.resume();
  const url = (await announcedFunctionUrl(child)).replace(/\/$/, "");
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}
