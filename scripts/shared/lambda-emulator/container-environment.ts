import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { FUNCTION_ENV } from "../../../handler/settings.js";
import type { EnvironmentFactory } from "./function-environment.js";
import { containerPeakMemoryMB, forgetContainer } from "./container-memory.js";
import { ensureContainersConf, podmanArgs, runPodman } from "../container/podman.js";
import { type LaunchedRuntime, RuntimeApiEnvironment } from "./runtime-api/runtime-api-environment.js";

/** Lambda's sandbox user for functions (sbx_user1051): functions never run as root. */
export const lambdaSandboxUser = "993:990";

export interface ContainerImageOptions {
  /** The function image, e.g. `localhost/image-classifier:local-x64`. */
  ref: string;
  /** Variables set as they are, after the Lambda ones (the caller's own, e.g. AWS_LAMBDA_LOG_FORMAT or MODEL_DIR). */
  env?: Record<string, string>;
  /** Extra `podman run` arguments placed before the image (e.g. read-only bind mounts in tests). */
  runArgs?: string[];
  /** Replaces the image's CMD (the handler string), e.g. `["fault-handler.handler"]`. */
  command?: string[];
  /** Default: `lambdaSandboxUser`. */
  user?: string;
  /** Receives the container's stdout and stderr instead of the server's `output` setting (tests read the log lines). */
  onOutput?: (chunk: string) => void;
}

export interface ContainerEnvironmentOptions {
  image: ContainerImageOptions;
  /** The server's environment with Lambda's variables (server.ts); only the function's own are passed on. */
  env: NodeJS.ProcessEnv;
  output: "inherit" | "ignore";
  invokedFunctionArn: string;
  initTimeoutMs: number;
}

// Host paths (MODEL_DIR) mean nothing inside the image; the rest are the function's settings and Lambda's own variables.
const forwardedVariables = [
  ...Object.values(FUNCTION_ENV).filter((name) => name !== FUNCTION_ENV.modelDir),
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_LAMBDA_LOG_FORMAT",
  "AWS_LAMBDA_LOG_LEVEL",
  "AWS_REGION",
];

/** The variables a container gets: Lambda's, the function settings set in `env`, then the image options' own. */
export function containerVariables(env: NodeJS.ProcessEnv, image: ContainerImageOptions, runtimeApi: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const name of forwardedVariables) {
    const value = env[name];
    if (value !== undefined) variables[name] = value;
  }
  if (variables.AWS_REGION !== undefined) variables.AWS_DEFAULT_REGION = variables.AWS_REGION;
  variables.TZ = ":UTC";
  return { ...variables, ...image.env, AWS_LAMBDA_RUNTIME_API: runtimeApi };
}

/** The `podman run` arguments (after `podman --runtime runc`) of one execution environment. */
export function containerRunArgs(name: string, variables: Record<string, string>, image: ContainerImageOptions): string[] {
  return [
    "run",
    "--rm",
    "--name",
    name,
    // The runtime reaches the Runtime API on 127.0.0.1 of the host.
    "--network",
    "host",
    "--read-only",
    "--tmpfs",
    "/tmp:rw,size=512m,mode=1777",
    "--user",
    image.user ?? lambdaSandboxUser,
    ...Object.entries(variables).flatMap(([key, value]) => ["--env", `${key}=${value}`]),
    ...(image.runArgs ?? []),
    image.ref,
    ...(image.command ?? []),
  ];
}

function launchContainer(options: ContainerEnvironmentOptions, runtimeApi: string): LaunchedRuntime {
  const name = `lambda-env-${randomBytes(6).toString("hex")}`;
  const args = podmanArgs(containerRunArgs(name, containerVariables(options.env, options.image, runtimeApi), options.image));
  // Its own process group: Ctrl-C on `npm start` must not reach the container; the server stops it.
  const { onOutput } = options.image;
  const output = onOutput ? "pipe" : options.output;
  const child = spawn("podman", args, { stdio: ["ignore", output, output], detached: true });
  if (onOutput) {
    child.stdout?.setEncoding("utf8").on("data", onOutput);
    child.stderr?.setEncoding("utf8").on("data", onOutput);
  }
  const exited = new Promise<string>((resolve) => {
    child.once("exit", (code, signal) => resolve(`podman run ended with code ${code}, signal ${signal}`));
    child.once("error", (error) => resolve(`podman could not be started: ${error.message}`));
  });
  void exited.then(() => forgetContainer(name));
  return {
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        await runPodman(["rm", "--force", "--time", "0", name]).catch(() => undefined);
        if (child.exitCode === null && child.signalCode === null) await once(child, "exit");
      }
    },
    maxMemoryUsedMB: () => containerPeakMemoryMB(name),
  };
}

/** Execution environments that are containers of the function image, each with its own Runtime API endpoint. */
export function containerEnvironmentFactory(options: ContainerEnvironmentOptions): EnvironmentFactory {
  let podmanReady: Promise<boolean> | undefined;
  return async () => {
    podmanReady ??= ensureContainersConf();
    await podmanReady;
    return RuntimeApiEnvironment.start({
      launch: (runtimeApi) => launchContainer(options, runtimeApi),
      invokedFunctionArn: options.invokedFunctionArn,
      initTimeoutMs: options.initTimeoutMs,
    });
  };
}
