import { PutObjectCommand } from "@aws-sdk/client-s3";
import { readFile } from "node:fs/promises";
import type { MapAnswer } from "../../../../handler/direct/answer-size.js";
import { createS3Client } from "../../../../handler/s3-client.js";
import { type Summary, summarize } from "../../../shared/stats.js";
import { benchContext } from "../handler-call.js";
import { startLocalS3 } from "../local-s3.js";
import type { PhaseContext } from "../phase-protocol.js";

/** Images per invocation measured; 1 is the baseline every other size is compared with. */
export const BATCH_SIZES = [1, 8, 16, 32] as const;

/** Images each batch size scores per turn: a multiple of every size, so each turn does the same work. */
export const IMAGES_PER_TURN = 32;

const BUCKET = "bench-batch";

export interface BatchSizeRun {
  batchSize: number;
  invocations: number;
  /** Wall time of one handler call with a Distributed Map batch of `batchSize` items, S3 reads included. */
  invocationMs: Summary;
  /** Images scored per second of wall time over all turns of this size. */
  imagesPerSecond: number;
  /** imagesPerSecond ÷ the cores the process was given (ONNX Runtime intra-op threads). */
  imagesPerSecondPerCore: number;
  /** CPU time of the handler's process (all threads) per image. */
  cpuMsPerImage: number;
}

export interface BatchSizesResult {
  image: string;
  threads: number;
  rounds: number;
  imagesPerTurn: number;
  runs: BatchSizeRun[];
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

/**
 * The real handler answering Distributed Map child events (`{BatchInput, Items}` of listObjectsV2 items) that read the
 * reference image from s3rver, at 1, 8, 16 and 32 items per invocation. Sizes take turns round by round, order
 * rotated, each turn scoring IMAGES_PER_TURN images, after a warm-up of every size.
 */
export async function run(context: PhaseContext): Promise<BatchSizesResult> {
  const image = context.images[0]!;
  const bytes = await readFile(image.path);
  const s3 = await startLocalS3([BUCKET]);
  try {
    Object.assign(process.env, s3.env, { S3_INPUT_ALLOWLIST: BUCKET });
    const client = createS3Client();
    const items: { Etag: string | undefined; Key: string; LastModified: string; Size: number; StorageClass: string }[] = [];
    for (let i = 0; i < IMAGES_PER_TURN; i++) {
      const Key = `batch/${String(i).padStart(3, "0")}.${image.format}`;
      const put = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: bytes, ContentType: image.contentType }));
      items.push({ Etag: put.ETag, Key, LastModified: new Date().toISOString(), Size: bytes.length, StorageClass: "STANDARD" });
    }
    client.destroy();

    const { handler } = (await import("../../../../handler/index.js")) as unknown as {
      handler: (event: unknown, context: ReturnType<typeof benchContext>) => Promise<MapAnswer>;
    };
    let calls = 0;
    const invoke = async (batchSize: number): Promise<number> => {
      const event = { BatchInput: { bucket: BUCKET, topK: 5 }, Items: items.slice(0, batchSize) };
      const lambdaContext = benchContext(`bench-batch-${++calls}`);
      const start = performance.now();
      const answer = await handler(event, lambdaContext);
      const ms = performance.now() - start;
      const failed = answer.results.find((row) => "error" in row);
      if (answer.results.length !== batchSize || failed) {
        throw new Error(`a batch of ${batchSize} answered ${answer.results.length} rows${failed ? `, e.g. ${JSON.stringify(failed)}` : ""}`);
      }
      return ms;
    };

    for (const batchSize of BATCH_SIZES) for (let i = 0; i < 2; i++) await invoke(batchSize);
    const rounds = Math.max(3, Math.ceil(context.rounds / 2));
    const samples = BATCH_SIZES.map(() => ({ invocationMs: [] as number[], wallMs: 0, cpuMs: 0, images: 0 }));
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < BATCH_SIZES.length; k++) {
        const index = (k + round) % BATCH_SIZES.length;
        const batchSize = BATCH_SIZES[index]!;
        const sample = samples[index]!;
        await settle();
        const cpuBefore = process.cpuUsage();
        const start = performance.now();
        for (let done = 0; done < IMAGES_PER_TURN; done += batchSize) sample.invocationMs.push(await invoke(batchSize));
        sample.wallMs += performance.now() - start;
        const cpu = process.cpuUsage(cpuBefore);
        sample.cpuMs += (cpu.user + cpu.system) / 1000;
        sample.images += IMAGES_PER_TURN;
      }
      process.stderr.write(`  batch-sizes: round ${round + 1}/${rounds}\n`);
    }
    return {
      image: image.id,
      threads: context.threads,
      rounds,
      imagesPerTurn: IMAGES_PER_TURN,
      runs: BATCH_SIZES.map((batchSize, index) => {
        const sample = samples[index]!;
        const imagesPerSecond = sample.images / (sample.wallMs / 1000);
        return {
          batchSize,
          invocations: sample.invocationMs.length,
          invocationMs: summarize(sample.invocationMs),
          imagesPerSecond,
          imagesPerSecondPerCore: imagesPerSecond / context.threads,
          cpuMsPerImage: sample.cpuMs / sample.images,
        };
      }),
    };
  } finally {
    await s3.stop();
  }
}
