import { execFile, spawn } from "node:child_process";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export const containersConfPath = "/etc/containers/containers.conf";

export interface RunPodmanOptions {
  /** Working directory of the podman process. Default: the current one. */
  readonly cwd?: string;
  /** Passed through to the child process as its stdin. Default: none. */
  readonly input?: string;
  /** Called with each chunk podman writes, for long builds. Default: output is only collected. */
  readonly onOutput?: (chunk: string) => void;
  /** Extra environment for podman. Default: this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The global flags every podman call gets: crun fails on these machines' hybrid cgroups, runc works. */
export function podmanArgs(args: readonly string[]): string[] {
  return ["--runtime", "runc", ...args];
}

export class PodmanError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "PodmanError";
  }
}

/**
 * Runs `podman --runtime runc ARGS…` and resolves with its output; rejects with the exit code and the end of stderr.
 * Before the first call it makes sure containers.conf lets containers start (see ensureContainersConf).
 */
export async function runPodman(args: string[], options: RunPodmanOptions = {}): Promise<{ stdout: string; stderr: string }> {
  await containersConfReady();
  return new Promise((resolve, reject) => {
    const child = spawn("podman", podmanArgs(args), {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      options.onOutput?.(chunk);
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      options.onOutput?.(chunk);
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
    child.on("error", (error) => reject(new PodmanError(`podman ${args[0] ?? ""} could not start: ${error.message}`, stderr, { cause: error })));
    child.on("close", (code, signal) => {
      if (code === 0) resolve({ stdout, stderr });
      else {
        const tail = stderr.trim().split("\n").slice(-15).join("\n");
        reject(new PodmanError(`podman ${args.join(" ").slice(0, 200)} exited with ${code ?? signal}:\n${tail}`, stderr));
      }
    });
  });
}

/** Whether `podman` is installed and answers. */
export async function podmanAvailable(): Promise<boolean> {
  try {
    await execFileAsync("podman", podmanArgs(["version", "--format", "{{.Client.Version}}"]));
    return true;
  } catch {
    return false;
  }
}

/**
 * containers.conf text with `default_ulimits = []` in its [containers] table, or null when it already has a
 * default_ulimits there. Without it podman's default RLIMIT_NOFILE is refused by these kernels' setrlimit.
 */
export function withEmptyDefaultUlimits(text: string): string | null {
  const lines = text.split("\n");
  let table = "";
  let containersHeader = -1;
  for (const [index, line] of lines.entries()) {
    const header = /^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$/.exec(line);
    if (header) {
      table = header[1]!;
      if (table === "containers" && containersHeader < 0) containersHeader = index;
    } else if (table === "containers" && /^\s*default_ulimits\s*=/.test(line)) {
      return null;
    }
  }
  if (containersHeader >= 0) {
    lines.splice(containersHeader + 1, 0, "default_ulimits = []");
    return lines.join("\n");
  }
  const prefix = text.length === 0 || text.endsWith("\n") ? text : `${text}\n`;
  return `${prefix}${prefix.length > 0 ? "\n" : ""}[containers]\ndefault_ulimits = []\n`;
}

/** Writes default_ulimits = [] into containers.conf when it is missing; returns whether the file changed. */
export async function ensureContainersConf(path = containersConfPath): Promise<boolean> {
  let text = "";
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`cannot read ${path}`, { cause: error });
  }
  const updated = withEmptyDefaultUlimits(text);
  if (updated === null) return false;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, updated);
  } catch (error) {
    throw new Error(`${path} needs "[containers]\\ndefault_ulimits = []" for podman to start containers here; writing it failed (run as root or add it by hand)`, {
      cause: error,
    });
  }
  return true;
}

let containersConf: Promise<boolean> | undefined;
function containersConfReady(): Promise<boolean> {
  containersConf ??= ensureContainersConf();
  return containersConf;
}

/** Whether the local image store has REF (`podman image exists`). */
export async function imageExists(ref: string): Promise<boolean> {
  await containersConfReady();
  try {
    await execFileAsync("podman", podmanArgs(["image", "exists", ref]));
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 1) return false;
    throw new PodmanError(`podman image exists ${ref} failed`, String((error as { stderr?: unknown }).stderr ?? ""), { cause: error });
  }
}
