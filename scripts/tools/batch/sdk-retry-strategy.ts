import type { RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from "@smithy/types";
import { type BackoffOptions, fullJitterDelay, type RetryCounter } from "./backoff.js";

class Token implements StandardRetryToken {
  constructor(
    private readonly retryCount: number,
    private readonly delayMs: number,
  ) {}
  getRetryCount(): number {
    return this.retryCount;
  }
  getRetryDelay(): number {
    return this.delayMs;
  }
  getRetryCost(): number | undefined {
    return undefined;
  }
}

/**
 * The AWS SDK retry strategy for batch runs: throttling (429, SlowDown), transient errors (500/502/503/504,
 * timeouts, ECONNRESET, ECONNREFUSED, EPIPE) and other 5xx are retried with full-jitter exponential backoff.
 * Unlike the SDK's standard strategy it has no shared retry quota: a batch run that outlives a few seconds of S3
 * outage must keep retrying every in-flight request instead of failing them all once the quota is spent.
 */
export class FullJitterRetryStrategy implements RetryStrategyV2 {
  readonly mode = "standard";
  constructor(
    private readonly backoff: BackoffOptions,
    private readonly counter?: RetryCounter,
  ) {}

  async acquireInitialRetryToken(): Promise<Token> {
    return new Token(0, 0);
  }

  async refreshRetryTokenForRetry(token: Token, errorInfo: RetryErrorInfo): Promise<Token> {
    const retry = token.getRetryCount() + 1;
    if (errorInfo.errorType === "CLIENT_ERROR" || retry >= this.backoff.maxAttempts) {
      throw new Error("no retry token: the error is not retryable or the attempts are spent");
    }
    if (this.counter) this.counter.count++;
    return new Token(retry, fullJitterDelay(retry, this.backoff));
  }

  recordSuccess(): void {}
}
