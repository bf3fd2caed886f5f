import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";

const s3rverBin = createRequire(import.meta.url).resolve("s3rver/bin/s3rver.js");

/** Environment that points the AWS SDK (ours and child processes') at a local s3rver. */
export function s3rverEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
  };
}

export interface S3rverOptions {
  /** Where s3rver keeps buckets and objects. */
  readonly directory: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** Buckets created at start; default none. */
  readonly buckets?: readonly string[];
  /** Leave out s3rver's request log; default false. */
  readonly silent?: boolean;
}

/**
 * A real S3 API on 127.0.0.1 in a process of its own, resolved once it listens. Its own process because paged
 * listings need Node's --openssl-legacy-provider (s3rver signs continuation tokens with an old cipher), and so that
 * its CPU time stays out of a measured process's.
 */
export async function spawnS3rver(options: S3rverOptions): Promise<{ child: ChildProcess; port: number }> {
  const args = [s3rverBin, "-d", options.directory, "-a", "127.0.0.1", "-p", String(options.port), "--no-vhost-buckets"];
  if (options.silent) args.push("--silent");
  for (const bucket of options.buckets ?? []) args.push("--configure-bucket", bucket);
  const child = spawn(process.execPath, args, {
    env: { ...process.env, NODE_OPTIONS: "--openssl-legacy-provider" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /S3rver listening on [^:]+:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`s3rver exited with ${code}: ${output}`)));
    child.once("error", reject);
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return { child, port };
}
