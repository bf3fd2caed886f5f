import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type LocalFunctionUrlOptions, defaultMaxQueued } from "./server.js";

export const defaultHandlerModule = fileURLToPath(new URL("../../../handler/index.ts", import.meta.url));

/** The image `npm run image:build -- --local` tags for this machine's architecture. */
export const localImageArch: "x64" | "arm64" = process.arch === "arm64" ? "arm64" : "x64";
export const defaultLocalImageRef = `localhost/image-classifier:local-${localImageArch}`;

export const usage = `Usage: npm start -- [options]

Serves the Lambda handler as a local function URL.

Options:
  --port N         port to listen on (env PORT, default 9000; 0 picks a free port)
  --host HOST      address to bind (env SERVE_HOST, default 127.0.0.1); only Host headers naming it are
                   answered, and a non-loopback address prints a warning
  --concurrency N  execution environments, one request each at a time (env CONCURRENCY, default 1)
  --max-queued N   requests that may wait for a free environment; more get 429 (env MAX_QUEUED,
                   default 16 per environment)
  --timeout S      function timeout in seconds (env TIMEOUT, default 30)
  --memory MB      reported memory size (env AWS_LAMBDA_FUNCTION_MEMORY_SIZE, default 2048)
  --handler PATH   module exporting the handler (default handler/index.ts)
  --image [REF]    run each execution environment as a container of the function image REF under podman, behind
                   a Runtime API emulator (non-root user, read-only root, writable /tmp); without REF, builds or
                   reuses ${defaultLocalImageRef} (npm run image:build -- --local)
  -h, --help       show this help`;

function positiveInteger(name: string, raw: string, allowZero = false): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new Error(`${name} must be a ${allowZero ? "non-negative" : "positive"} integer, got "${raw}"`);
  }
  return value;
}

/** `--image` takes an optional value: alone (last, or before another option) it means the default local image. */
function withOptionalImageValue(argv: string[]): string[] {
  return argv.map((arg, index) => {
    const next = argv[index + 1];
    return arg === "--image" && (next === undefined || next.startsWith("-")) ? "--image=" : arg;
  });
}

export type ParsedServeOptions =
  | { help: true }
  /** `buildImage`: the default local image must be built or found before starting (`--image` without REF). */
  | { help: false; options: LocalFunctionUrlOptions; buildImage: boolean };

/** Command-line flags override environment variables, which override the defaults. */
export function parseServeOptions(argv: string[], env: NodeJS.ProcessEnv): ParsedServeOptions {
  const { values } = parseArgs({
    args: withOptionalImageValue(argv),
    strict: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      concurrency: { type: "string" },
      "max-queued": { type: "string" },
      timeout: { type: "string" },
      memory: { type: "string" },
      handler: { type: "string" },
      image: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return { help: true };
  const port = values.port ?? env.PORT;
  const concurrency = values.concurrency ?? env.CONCURRENCY;
  const maxQueued = values["max-queued"] ?? env.MAX_QUEUED;
  const timeout = values.timeout ?? env.TIMEOUT;
  const memory = values.memory ?? env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
  const environments = concurrency === undefined ? 1 : positiveInteger("--concurrency", concurrency);
  if (values.image !== undefined && values.handler !== undefined) throw new Error("--handler and --image cannot be combined");
  const imageRef = values.image === undefined ? undefined : values.image || defaultLocalImageRef;
  return {
    help: false,
    buildImage: values.image === "",
    options: {
      handlerModule: values.handler ?? defaultHandlerModule,
      ...(imageRef !== undefined && { image: { ref: imageRef } }),
      // Not the generic HOST, which shells and containers set for other programs.
      host: values.host ?? env.SERVE_HOST ?? "127.0.0.1",
      port: port === undefined ? 9000 : positiveInteger("--port", port, true),
      concurrency: environments,
      maxQueued: maxQueued === undefined ? defaultMaxQueued(environments) : positiveInteger("--max-queued", maxQueued, true),
      timeoutSeconds: timeout === undefined ? 30 : positiveInteger("--timeout", timeout),
      memorySizeMB: memory === undefined ? 2048 : positiveInteger("--memory", memory),
      env: splitCores(env, environments),
    },
  };
}

/**
 * Each Lambda execution environment has CPUs of its own; locally N environments share this machine's, so unless
 * ORT_INTRA_OP_THREADS is set each gets an equal share instead of all of them.
 */
function splitCores(env: NodeJS.ProcessEnv, environments: number): NodeJS.ProcessEnv {
  if (env.ORT_INTRA_OP_THREADS !== undefined || environments === 1) return env;
  return { ...env, ORT_INTRA_OP_THREADS: String(Math.max(1, Math.floor(availableParallelism() / environments))) };
}
