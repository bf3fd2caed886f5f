import { imageExists, podmanAvailable } from "../../shared/container/podman.js";
import { containerEnvironmentFactory } from "../../shared/lambda-emulator/container-environment.js";
import { median } from "../../shared/stats.js";

export type ContainerStartResult =
  | { ref: string; runs: number[]; medianMs: number }
  /** Why it was not measured, and how to make it measurable. */
  | { ref: string; unavailable: string };

/**
 * Container start → ready: `podman run` of the function image (as `npm start -- --image` runs it) until the runtime's
 * first `GET …/invocation/next`, i.e. the image's whole init phase; one container after another.
 */
export async function measureContainerStart(ref: string, runs: number): Promise<ContainerStartResult> {
  if (!(await podmanAvailable())) return { ref, unavailable: "podman is not installed (see README, Container image)" };
  if (!(await imageExists(ref))) return { ref, unavailable: `no image ${ref}: run npm run image:build -- --local` };
  const start = containerEnvironmentFactory({
    image: { ref },
    env: { AWS_LAMBDA_FUNCTION_NAME: "image-classifier", AWS_REGION: "us-east-1" },
    output: "ignore",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:image-classifier",
    initTimeoutMs: 120_000,
  });
  const samples: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const environment = await start();
    samples.push(environment.initDurationMs);
    await environment.stop();
  }
  return { ref, runs: samples, medianMs: median(samples) };
}

/** The report's line for it. */
export function containerStartLine(result: ContainerStartResult | undefined): string {
  if (!result) return "Container start → ready: not measured (phase skipped).";
  if ("unavailable" in result) return `Container start → ready: not measured — ${result.unavailable}.`;
  return (
    `Container start → ready (\`podman run\` of ${result.ref} → the runtime's first Runtime API \`next\`, user 993:990, read-only root): ` +
    `median ${result.medianMs.toFixed(0)} ms of ${result.runs.length} (${result.runs.map((ms) => ms.toFixed(0)).join(", ")} ms).`
  );
}
