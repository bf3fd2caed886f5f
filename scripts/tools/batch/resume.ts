import { errorStatus } from "../../../handler/errors.js";
import type { ExistingOutput, OutputLine } from "./formats.js";

/** Codes the batch tool writes itself for failures that may pass on a later try. */
const transientBatchCodes = new Set([
  "TARGET_UNREACHABLE",
  "TIMEOUT",
  "S3_UNAVAILABLE",
  "WORKER_CRASHED",
  // Step Functions: the child execution that held the item failed (after its retries) or never ran.
  "MAP_CHILD_FAILED",
  "MAP_CHILD_PENDING",
  // S3 Batch Operations: the task failed in a way that may pass on a later try (throttling, S3 unavailable, timeout).
  "TemporaryFailure",
]);

/**
 * Whether an error line records a failure that may pass on a later try: throttling, 5xx, timeouts, an unreachable
 * target or S3, a crashed worker (restarted for the next image). Codes about the input itself (INVALID_IMAGE,
 * UNSUPPORTED_MEDIA_TYPE, S3_OBJECT_NOT_FOUND, INPUT_TOO_LARGE, …) are permanent.
 */
export function isTransientError(code: string): boolean {
  if (transientBatchCodes.has(code) || /^HTTP_(429|5\d\d)$/.test(code)) return true;
  const status = (errorStatus as Record<string, number>)[code];
  return status !== undefined && (status === 429 || status >= 500);
}

/** Decides which existing error lines are dropped so that their inputs are scored again. */
export type RescorePolicy = (line: OutputLine & { identity: string; errorCode: string }) => boolean;

export const rescoreTransient: RescorePolicy = (line) => isTransientError(line.errorCode);

export interface ResumePlan {
  /** The output to keep: every complete line but the dropped ones, in their order. */
  keptText: string;
  /** Inputs that keep a line, which the run skips. */
  done: Set<string>;
  /** Error lines dropped to be scored again. */
  dropped: number;
}

/** What a resumed run keeps of an existing output and which inputs it still has to score. */
export function planResume(existing: ExistingOutput, rescore: RescorePolicy): ResumePlan {
  const done = new Set<string>();
  let keptText = "";
  let dropped = 0;
  for (const line of existing.lines) {
    const { identity, errorCode } = line;
    if (identity !== undefined && errorCode !== undefined && rescore({ ...line, identity, errorCode })) {
      dropped++;
      continue;
    }
    keptText += line.text;
    if (identity !== undefined) done.add(identity);
  }
  return { keptText, done, dropped };
}
