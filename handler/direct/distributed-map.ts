import type { Classifier } from "../classifier.js";
import { s3ObjectRefSchema } from "../contract/classify-request.js";
import { ClientError, isClientError } from "../errors.js";
import { fitAnswer, type MapAnswer, type MapRow } from "./answer-size.js";
import { distributedMapEventSchema, MalformedEventError, mapItemSchema, parseEvent } from "./events.js";
import type { ItemOutcome, ObjectRef, ObjectScorer } from "./object-scorer.js";
import { topKOf } from "./top-k.js";

export interface DistributedMapDependencies {
  classifier: Classifier;
  scorer: ObjectScorer;
  /** topK when BatchInput has none (TOP_K_DEFAULT, at most the label count). */
  topKDefault: number;
}

export interface ScoredBatch {
  answer: MapAnswer;
  outcomes: ItemOutcome[];
}

/** An item as the answer names it, and the object to score unless the item itself is wrong. */
interface MapTarget {
  bucket: string;
  key: string;
  etag?: string;
  ref?: ObjectRef;
  error?: ClientError;
}

/**
 * A Distributed Map child's batch, `{BatchInput: {bucket, topK}, Items: [...]}`: every item scored or failed on its
 * own, answered with one compact row per item, in item order, within Step Functions' 256 KiB (answer-size.ts).
 */
export function createDistributedMapHandler({ classifier, scorer, topKDefault }: DistributedMapDependencies) {
  const { manifest } = classifier;
  const model = { name: manifest.name, version: manifest.version };
  return async (event: unknown, remainingMs?: () => number): Promise<ScoredBatch> => {
    const batch = parseEvent(distributedMapEventSchema, event, "Distributed Map");
    let topK: number;
    try {
      topK = topKOf(batch.BatchInput?.topK, manifest.labels.length, topKDefault);
    } catch (error) {
      if (isClientError(error)) throw new MalformedEventError(`malformed Distributed Map event: BatchInput.topK: ${error.message}`, { cause: error });
      throw error;
    }
    const targets = batch.Items.map((item) => targetOf(item, batch.BatchInput?.bucket));
    const refs = targets.flatMap((target) => (target.ref ? [target.ref] : []));
    const scored = await scorer.score(refs, { topK, ...(remainingMs && { remainingMs }) });
    let next = 0;
    const outcomes = targets.map((target): ItemOutcome => (target.ref ? scored[next++]! : { ok: false, error: target.error! }));
    const rows = targets.map((target, index): MapRow => {
      const outcome = outcomes[index]!;
      const names = { bucket: target.bucket, key: target.key, ...(target.etag !== undefined && { etag: target.etag }) };
      return outcome.ok
        ? { ...names, predictions: outcome.predictions }
        : { ...names, error: { code: outcome.error.code, message: outcome.error.message } };
    });
    return { answer: fitAnswer(model, rows), outcomes };
  };
}

/** The item's own Bucket wins over BatchInput.bucket; an item without a usable bucket and key fails alone. */
function targetOf(item: unknown, batchBucket: string | undefined): MapTarget {
  const parsed = mapItemSchema.safeParse(item);
  if (!parsed.success) {
    return { bucket: batchBucket ?? "", key: "", error: new ClientError("INVALID_REQUEST", 'the item is not an object with a string "Key"') };
  }
  const { Key: key, Bucket, Etag: etag } = parsed.data;
  const bucket = Bucket || batchBucket;
  const names = { key, ...(etag !== undefined && { etag }) };
  if (!bucket) {
    return { ...names, bucket: "", error: new ClientError("INVALID_REQUEST", "the item has no Bucket and BatchInput has no bucket") };
  }
  const ref = s3ObjectRefSchema.safeParse({ bucket, key });
  if (!ref.success) {
    return {
      ...names,
      bucket,
      error: new ClientError("INVALID_REQUEST", "the item's bucket must have 3 to 63 characters and its key 1 to 1024"),
    };
  }
  return { ...names, bucket, ref: ref.data };
}
