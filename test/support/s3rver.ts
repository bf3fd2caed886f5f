import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { createS3Client } from "../../handler/s3-client.js";
import { killWithTestProcess } from "./processes.js";

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

/**
 * A real S3 API on 127.0.0.1, run in a child process because paged listings need Node's
 * --openssl-legacy-provider (s3rver signs continuation tokens with an old cipher).
 */
export class S3rverProcess {
  private child: ChildProcess | undefined;
  private constructor(
    readonly directory: string,
    public port: number,
  ) {}

  static async start(): Promise<S3rverProcess> {
    const server = new S3rverProcess(await mkdtemp(join(tmpdir(), "s3rver-")), 0);
    await server.restart();
    return server;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get env(): Record<string, string> {
    return s3rverEnv(this.endpoint);
  }

  /** A client set up the way the handler and the batch tool set theirs up from the environment. */
  client(): S3Client {
    return createS3Client({ region: "us-east-1", credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } }, this.env);
  }

  async createBucket(name: string): Promise<void> {
    const client = this.client();
    try {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    } finally {
      client.destroy();
    }
  }

  /** Starts (again) on the same port and data directory, so objects survive a stop. */
  async restart(): Promise<void> {
    const child = spawn(
      process.execPath,
      [s3rverBin, "-d", this.directory, "-a", "127.0.0.1", "-p", String(this.port), "--no-vhost-buckets"],
      {
        env: { ...process.env, NODE_OPTIONS: "--openssl-legacy-provider" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.child = child;
    killWithTestProcess(child);
    this.port = await new Promise<number>((resolve, reject) => {
      let output = "";
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /S3rver listening on [^:]+:(\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.once("exit", (code) => reject(new Error(`s3rver exited with ${code}: ${output}`)));
      child.once("error", reject);
    });
    child.stdout!.resume();
    child.stderr!.resume();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.child = undefined;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.directory, { recursive: true, force: true });
  }
}
