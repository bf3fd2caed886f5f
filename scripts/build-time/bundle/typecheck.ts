import { spawn } from "node:child_process";
import { createRequire } from "node:module";

/** Runs `tsc -p <projectDir>` (no emit; tsconfig sets noEmit) and resolves when it passes. */
export async function typecheck(projectDir: string): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const code = await new Promise<number | null>((resolvePromise, reject) => {
    const child = spawn(process.execPath, [tsc, "-p", projectDir], { stdio: "inherit" });
    child.once("error", reject);
    child.once("exit", resolvePromise);
  });
  if (code !== 0) throw new Error(`type check failed (tsc exit code ${code})`);
}
