/** Retry timing shared by the S3 client and the function-URL target: exponential backoff with full jitter. */
export interface BackoffOptions {
  /** Attempts in total, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { maxAttempts: 9, baseDelayMs: 200, maxDelayMs: 10_000 };

/** Delay before retry number `retry` (1 = first retry): uniform in [0, min(max, base·2^(retry-1))). */
export function fullJitterDelay(retry: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** Counts retries across a run (S3 requests and target requests), for the summary. */
export class RetryCounter {
  count = 0;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, `isRetryable` says no, or the attempts run out; the last error is thrown.
 * `onRetry` sees every retried error (for counting).
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  options: BackoffOptions,
  onRetry?: (error: unknown, retry: number) => void,
): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (attemptNumber >= options.maxAttempts || !isRetryable(error)) throw error;
      onRetry?.(error, attemptNumber);
      await sleep(fullJitterDelay(attemptNumber, options));
    }
  }
}
