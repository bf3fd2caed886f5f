import { fork } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import type { LoadSample, PhaseContext, PhaseMessage } from "./phase-protocol.js";
import { tsxLoader } from "../../shared/tsx-loader.js";


const childEntry = fileURLToPath(new URL("./phase-child.ts", import.meta.url));

/**
 * Runs one phase in a fresh Node process (its own ONNX Runtime thread pools, heap and RSS). The handler's request
 * logs go to the child's stdout, which is discarded; its stderr (progress, errors) is shown.
 */
export function runPhase<T>(name: string, context: PhaseContext, env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Promise<{ result: T; load: LoadSample; seconds: number }> {
  const before = loadavg();
  const started = performance.now();
  const child = fork(childEntry, [name, JSON.stringify(context)], {
    execArgv: [...nodeArgs, "--import", tsxLoader],
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    serialization: "json",
  });
  return new Promise((resolve, reject) => {
    let answer: PhaseMessage | undefined;
    child.on("message", (message: PhaseMessage) => (answer = message));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      if (answer?.ok) resolve({ result: answer.result as T, load: { before, after: loadavg() }, seconds });
      else reject(new Error(`phase ${name} failed (exit ${code ?? signal}): ${answer && !answer.ok ? answer.error : "no answer"}`));
    });
  });
}
