/**
 * One execution environment: a child process that imports the handler module once (its init phase,
 * top-level await included) and then runs one invocation at a time for the server, like the Lambda
 * Node.js runtime does. Launched by `environment.ts`; argv: handler module path, export name.
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import type { Context } from "aws-lambda";
import { createLambdaContext, functionSettingsFromEnv } from "./context.js";
import type { EnvironmentMessage, InvokeMessage } from "./protocol.js";

type Handler = (event: unknown, context: Context) => unknown;

const [modulePath, exportName = "handler"] = process.argv.slice(2);
const settings = functionSettingsFromEnv(process.env);

const send = (message: EnvironmentMessage) =>
  new Promise<void>((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));
const maxMemoryUsedMB = () => Math.round(process.resourceUsage().maxRSS / 1024);

function describe(error: unknown): { errorType: string; errorMessage: string } {
  if (error instanceof Error) return { errorType: error.name, errorMessage: error.message };
  return { errorType: "Error", errorMessage: String(error) };
}

// Ctrl-C reaches the whole process group; the server decides when an environment stops.
process.on("SIGINT", () => {});
process.on("disconnect", () => process.exit(0));

async function loadHandler(): Promise<Handler> {
  if (!modulePath) throw new Error("no handler module path given");
  const module = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  const handler = module[exportName];
  if (typeof handler !== "function") throw new TypeError(`${modulePath} does not export a function named ${exportName}`);
  return handler as Handler;
}

async function invoke(handler: Handler, message: InvokeMessage): Promise<void> {
  const context = createLambdaContext(settings, message.requestId, message.deadlineMs);
  const started = performance.now();
  try {
    const result = await handler(JSON.parse(message.eventPayload), context);
    const payload = JSON.stringify(result) ?? "null";
    const durationMs = performance.now() - started;
    await send({ type: "result", requestId: message.requestId, payload, durationMs, maxMemoryUsedMB: maxMemoryUsedMB() });
  } catch (error) {
    const durationMs = performance.now() - started;
    const { errorType, errorMessage } = describe(error);
    console.error(
      `${new Date().toISOString()}\t${message.requestId}\tERROR\tInvoke Error\t` +
        JSON.stringify({ errorType, errorMessage, stack: error instanceof Error ? error.stack?.split("\n") : [] }),
    );
    await send({ type: "error", requestId: message.requestId, errorType, errorMessage, durationMs, maxMemoryUsedMB: maxMemoryUsedMB() });
  }
}

const initStarted = performance.now();
try {
  const handler = await loadHandler();
  process.on("message", (message: InvokeMessage) => {
    if (message.type === "invoke") void invoke(handler, message);
  });
  await send({ type: "ready", initDurationMs: performance.now() - initStarted });
} catch (error) {
  const { errorType, errorMessage } = describe(error);
  console.error(`INIT_REPORT\tStatus: error\tError Type: Runtime.ImportModuleError\t${errorType}: ${errorMessage}`);
  await send({ type: "init-error", errorType, errorMessage });
  process.exit(1);
}
