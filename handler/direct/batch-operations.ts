import type { Classifier } from "../classifier.js";
import { s3ObjectRefSchema } from "../contract/classify-request.js";
import { ClientError, type ErrorCode, isClientError } from "../errors.js";
import { batchOperationsEventSchema, parseEvent } from "./events.js";
import type { ItemOutcome, ObjectRef, ObjectScorer } from "./object-scorer.js";
import { resultString } from "./result-string.js";
import { topKOf } from "./top-k.js";

export type BatchOperationsResultCode = "Succeeded" | "TemporaryFailure" | "PermanentFailure";

/** The response S3 Batch Operations expects from a Lambda function (invocation schema 2.0). */
export interface BatchOperationsResponse {
  invocationSchemaVersion: "2.0";
  treatMissingKeysAs: BatchOperationsResultCode;
  invocationId: string;
  results: Array<{ taskId: string; resultCode: BatchOperationsResultCode; resultString: string }>;
}

/** Failures that may pass on a retry: S3 throttling or unavailability, and the function's own deadline. */
const TEMPORARY: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["S3_UNAVAILABLE", "TIMEOUT"]);

export function resultCodeOf(outcome: ItemOutcome): BatchOperationsResultCode {
  if (outcome.ok) return "Succeeded";
  return TEMPORARY.has(outcome.error.code) ? "TemporaryFailure" : "PermanentFailure";
}

/** S3 Batch Operations URL-encodes the key it sends, with `+` for spaces. */
export function decodeTaskKey(s3Key: string): string {
  return decodeURIComponent(s3Key.replace(/\+/g, " "));
}

export interface BatchOperationsDependencies {
  classifier: Classifier;
  scorer: ObjectScorer;
  topKDefault: number;
}

export interface ScoredTasks {
  response: BatchOperationsResponse;
  outcomes: ItemOutcome[];
}

/**
 * An S3 Batch Operations task (schema 2.0; AWS sends one per invocation): the object, of `s3VersionId` when given,
 * scored like any other; `userArguments.topK` optional. Every task gets a result; none makes the invocation fail.
 */
export function createBatchOperationsHandler({ classifier, scorer, topKDefault }: BatchOperationsDependencies) {
  const labelCount = classifier.manifest.labels.length;
  return async (event: unknown, remainingMs?: () => number): Promise<ScoredTasks> => {
    const job = parseEvent(batchOperationsEventSchema, event, "S3 Batch Operations");
    let topK: number | undefined;
    let jobError: ClientError | undefined;
    try {
      topK = topKOf(job.job.userArguments?.topK, labelCount, topKDefault);
    } catch (error) {
      if (!isClientError(error)) throw error;
      jobError = new ClientError(error.code, `userArguments.topK: ${error.message}`);
    }
    const targets = job.tasks.map((task): { ref?: ObjectRef; error?: ClientError } => {
      if (jobError) return { error: jobError };
      let key: string;
      try {
        key = decodeTaskKey(task.s3Key);
      } catch (error) {
        return { error: new ClientError("INVALID_REQUEST", "s3Key is not a valid URL-encoded key", { cause: error }) };
      }
      const ref = s3ObjectRefSchema.safeParse({ bucket: task.s3Bucket, key });
      if (!ref.success) return { error: new ClientError("INVALID_REQUEST", "the task's bucket or key is not a valid S3 name") };
      return { ref: { ...ref.data, ...(task.s3VersionId && { versionId: task.s3VersionId }) } };
    });
    const refs = targets.flatMap((target) => (target.ref ? [target.ref] : []));
    const scored = topK === undefined ? [] : await scorer.score(refs, { topK, ...(remainingMs && { remainingMs }) });
    let next = 0;
    const outcomes = targets.map((target): ItemOutcome => (target.ref ? scored[next++]! : { ok: false, error: target.error! }));
    return {
      response: {
        invocationSchemaVersion: "2.0",
        treatMissingKeysAs: "PermanentFailure",
        invocationId: job.invocationId,
        results: job.tasks.map((task, index) => ({
          taskId: task.taskId,
          resultCode: resultCodeOf(outcomes[index]!),
          resultString: resultString(outcomes[index]!),
        })),
      },
      outcomes,
    };
  };
}
