import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { createS3Client } from "../../handler/s3-client.js";
import { killWithTestProcess } from "./processes.js";
import { s3rverEnv, spawnS3rver } from "../../scripts/shared/s3rver.js";

/** A real S3 API on 127.0.0.1 (scripts/shared/s3rver.ts) for the tests: restartable on its port, with its data. */
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
    const { child, port } = await spawnS3rver({ directory: this.directory, port: this.port });
    this.child = child;
    killWithTestProcess(child);
    this.port = port;
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
