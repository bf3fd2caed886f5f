import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const s3rverBin = createRequire(import.meta.url).resolve("s3rver/bin/s3rver.js");

export interface LocalS3 {
  endpoint: string;
  /** What points the AWS SDK (the handler's S3 client) at it. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** s3rver on 127.0.0.1 with these buckets, in a process of its own (its CPU time stays out of the measured process's). */
export async function startLocalS3(buckets: readonly string[]): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), "bench-s3rver-"));
  const child = spawn(process.execPath, [s3rverBin, "-d", directory, "-a", "127.0.0.1", "-p", "0", "--no-vhost-buckets", "--silent", ...buckets.flatMap((name) => ["--configure-bucket", name])], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /S3rver listening on [^:]+:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`s3rver exited with ${code}: ${output}`)));
    child.once("error", reject);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    env: { AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" },
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
