import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface RunningServer {
  url: string;
  /** The last lines the server wrote to stderr (for diagnostics). */
  recentOutput(): string[];
  stop(): Promise<number | null>;
}

const serveScript = fileURLToPath(new URL("../serve/main.ts", import.meta.url));

/**
 * Starts `scripts/tools/serve/main.ts` (the local function URL) in a child process on 127.0.0.1 and a free port, and resolves
 * once it prints its URL. The function's own output (request logs, REPORT lines) is discarded.
 */
export function startLocalServer(options: {
  concurrency: number;
  /** Requests that may wait for an environment before the server answers 429 (the server's default when left out). */
  maxQueued?: number;
  env?: NodeJS.ProcessEnv;
  startupTimeoutMs?: number;
}): Promise<RunningServer> {
  const queue = options.maxQueued === undefined ? [] : ["--max-queued", String(options.maxQueued)];
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", serveScript, "--host", "127.0.0.1", "--port", "0", "--concurrency", String(options.concurrency), ...queue],
    { env: { ...process.env, ...options.env }, stdio: ["ignore", "ignore", "pipe"] },
  );
  const lines: string[] = [];
  let pending = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the local server did not start within ${options.startupTimeoutMs ?? 120_000} ms:\n${lines.join("\n")}`));
    }, options.startupTimeoutMs ?? 120_000);
    const exitedEarly = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`the local server exited (${code}) before it was ready:\n${lines.join("\n")}`));
    };
    child.once("exit", exitedEarly);
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      pending += chunk;
      const complete = pending.split("\n");
      pending = complete.pop() ?? "";
      for (const line of complete) {
        lines.push(line);
        if (lines.length > 50) lines.shift();
        const match = /Local function URL: (http:\/\/\S+)/.exec(line);
        if (!match) continue;
        clearTimeout(timer);
        child.off("exit", exitedEarly);
        resolve({
          url: match[1]!,
          recentOutput: () => [...lines],
          stop: async () => {
            if (child.exitCode === null) child.kill("SIGTERM");
            const forced = setTimeout(() => child.kill("SIGKILL"), 15_000);
            const code = await exited;
            clearTimeout(forced);
            return code;
          },
        });
      }
    });
  });
}
