import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { s3rverEnv, spawnS3rver } from "../../shared/s3rver.js";

export interface LocalS3 {
  endpoint: string;
  /** What points the AWS SDK (the handler's S3 client) at it. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** s3rver on 127.0.0.1 with these buckets, in a process of its own (its CPU time stays out of the measured process's). */
export async function startLocalS3(buckets: readonly string[]): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), "bench-s3rver-"));
  const { child, port } = await spawnS3rver({ directory, port: 0, buckets, silent: true });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    env: s3rverEnv(endpoint),
    async stop() {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        });
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}
