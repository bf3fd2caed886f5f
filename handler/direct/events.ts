import { z } from "zod";

/**
 * The shapes of the events the function accepts besides function-URL requests, checked at the edge. An event that
 * fails its schema is malformed as a whole (MalformedEventError, an invocation error); an item that fails only its
 * own checks fails alone (see distributed-map.ts).
 */

/** Most items one Distributed Map batch may hold; a longer batch is refused as a whole. */
export const MAX_BATCH_ITEMS = 1000;

/** `topK` as a number, or as a string (S3 Batch Operations' user arguments are strings); checked by direct/top-k.ts. */
export const topKValueSchema = z.union([z.number(), z.string()]).optional();

/** One item of a Distributed Map batch: a listObjectsV2 object, an inventory manifest entry or a CSV/JSONL row. */
export const mapItemSchema = z.looseObject({
  Key: z.string(),
  Bucket: z.string().optional(),
  Etag: z.string().optional(),
});

/** A Distributed Map child's input with an ItemBatcher: `{BatchInput, Items}`. */
export const distributedMapEventSchema = z.looseObject({
  BatchInput: z.looseObject({ bucket: z.string().optional(), topK: topKValueSchema }).optional(),
  // Items are checked one by one (mapItemSchema) so that a bad item fails alone.
  Items: z.array(z.unknown()).max(MAX_BATCH_ITEMS, `a batch holds at most ${MAX_BATCH_ITEMS} items (MAX_BATCH_ITEMS)`),
});

/** One S3 Batch Operations task (schema 2.0): the key is URL-encoded; the version id is null when unversioned. */
export const batchOperationsTaskSchema = z.looseObject({
  taskId: z.string(),
  s3Bucket: z.string(),
  s3Key: z.string(),
  s3VersionId: z.string().nullish(),
});

/** The S3 Batch Operations → Lambda event, invocation schema 2.0 (one task per invocation). */
export const batchOperationsEventSchema = z.looseObject({
  invocationSchemaVersion: z.literal("2.0"),
  invocationId: z.string(),
  job: z.looseObject({
    id: z.string(),
    userArguments: z.looseObject({ topK: topKValueSchema }).nullish(),
  }),
  tasks: z.array(batchOperationsTaskSchema).min(1),
});

/** A plain Lambda API invocation: POST /classify's JSON body (`s3`, `images` or `image`) plus an optional `topK`. */
export const plainInvocationSchema = z.looseObject({ topK: topKValueSchema });

export type MapItem = z.infer<typeof mapItemSchema>;
export type DistributedMapEvent = z.infer<typeof distributedMapEventSchema>;
export type BatchOperationsEvent = z.infer<typeof batchOperationsEventSchema>;
export type BatchOperationsTask = z.infer<typeof batchOperationsTaskSchema>;

/** An event of a recognised kind that does not have that kind's shape; the message names what is wrong. */
export class MalformedEventError extends Error {
  override readonly name = "MalformedEventError";
}

/** The event parsed by `schema`, or MalformedEventError naming each problem (path: message). */
export function parseEvent<T>(schema: z.ZodType<T>, event: unknown, kind: string): T {
  const parsed = schema.safeParse(event);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join(".") || "(event)"}: ${issue.message}`);
  throw new MalformedEventError(`malformed ${kind} event: ${problems.join("; ")}`, { cause: parsed.error });
}
