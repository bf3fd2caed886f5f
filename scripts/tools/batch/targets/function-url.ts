import { type BackoffOptions, type RetryCounter, withRetry } from "../backoff.js";
import type { InputItem } from "../inputs.js";
import type { ModelId, Prediction, ScoreResult } from "../record.js";
import { isRetryableNetworkError, isTimeout } from "../retryable.js";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { contentTypeForFile } from "../../../shared/content-type.js";
import { functionUrlRegion, InsecureSigningError, signingRefusal, signRequest } from "../../../shared/sigv4.js";
import type { Target } from "./target.js";

export interface FunctionUrlOptions {
  url: string;
  topK: number;
  byReference: boolean;
  backoff: BackoffOptions;
  timeoutMs: number;
  counter?: RetryCounter;
}

/** A 429 or 5xx answer, retried; its body's error (if any) becomes the line's error once retries are spent. */
class RetryableStatus extends Error {
  constructor(
    readonly status: number,
    readonly bodyError: { code: string; message: string } | undefined,
  ) {
    super(`HTTP ${status}`);
  }
}

interface ClassifyResponse {
  model?: ModelId;
  predictions?: Prediction[];
  error?: { code: string; message: string };
}

function parseJson(text: string): ClassifyResponse | undefined {
  try {
    return JSON.parse(text) as ClassifyResponse;
  } catch {
    return undefined;
  }
}

/** `https://host/` → `https://host/classify?top_k=K`; a URL with a path is used as it is. */
export function classifyEndpoint(url: string, topK: number): URL {
  const endpoint = new URL(url);
  if (endpoint.pathname === "/" || endpoint.pathname === "") endpoint.pathname = "/classify";
  endpoint.searchParams.set("top_k", String(topK));
  return endpoint;
}

/** The function-URL target: POSTs each image's bytes, or a `{"s3": {bucket, key}}` reference for the function to read. */
export class FunctionUrlTarget implements Target {
  readonly description: string;
  readonly needsBytes: boolean;
  private readonly endpoint: URL;
  /** Set for an AWS function URL (IAM auth): requests are SigV4-signed for service lambda in this region. */
  private readonly region: string | undefined;
  private readonly credentials: AwsCredentialIdentityProvider | undefined;
  private modelId: ModelId | null = null;

  constructor(private readonly options: FunctionUrlOptions) {
    this.endpoint = classifyEndpoint(options.url, options.topK);
    const region = functionUrlRegion(this.endpoint.hostname);
    const refusal = region && signingRefusal(this.endpoint);
    if (refusal) throw new InsecureSigningError(refusal);
    this.region = region;
    this.credentials = region ? defaultProvider() : undefined;
    this.needsBytes = !options.byReference;
    this.description = `${this.endpoint.origin}${this.endpoint.pathname} (${options.byReference ? "by S3 reference" : "by bytes"}${region ? ", SigV4" : ""})`;
  }

  model(): ModelId | null {
    return this.modelId;
  }

  async close(): Promise<void> {}

  async score(item: InputItem, bytes: Uint8Array | undefined): Promise<ScoreResult> {
    let body: Uint8Array;
    let contentType: string;
    if (this.options.byReference) {
      if (item.kind !== "s3") throw new Error("--by-reference needs S3 inputs");
      body = Buffer.from(JSON.stringify({ s3: { bucket: item.bucket, key: item.key } }));
      contentType = "application/json";
    } else {
      body = bytes!;
      contentType = contentTypeForFile(item.kind === "s3" ? item.key : item.path);
    }
    try {
      return await withRetry(
        () => this.post(body, contentType),
        (error) => error instanceof RetryableStatus || isRetryableNetworkError(error),
        this.options.backoff,
        () => this.options.counter && this.options.counter.count++,
      );
    } catch (error) {
      if (error instanceof RetryableStatus) {
        return { ok: false, error: error.bodyError ?? { code: `HTTP_${error.status}`, message: `the function answered ${error.status}` } };
      }
      if (isTimeout(error)) {
        return { ok: false, error: { code: "TIMEOUT", message: `no answer within ${this.options.timeoutMs} ms` } };
      }
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return {
        ok: false,
        error: { code: "TARGET_UNREACHABLE", message: cause?.code ?? cause?.message ?? (error as Error).message },
      };
    }
  }

  private async post(body: Uint8Array, contentType: string): Promise<ScoreResult> {
    let request = { url: this.endpoint, headers: { "content-type": contentType } as Record<string, string> };
    if (this.region) {
      request = await signRequest({ method: "POST", url: this.endpoint, headers: request.headers, body }, { credentials: this.credentials!, region: this.region });
    }
    const response = await fetch(request.url, {
      method: "POST",
      headers: request.headers,
      body,
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    const text = await response.text();
    const json = parseJson(text);
    if (response.status === 429 || response.status >= 500) throw new RetryableStatus(response.status, json?.error);
    if (json?.model) this.modelId = json.model;
    if (response.ok && Array.isArray(json?.predictions)) {
      return { ok: true, predictions: json.predictions, ...(json.model ? { model: json.model } : {}) };
    }
    return {
      ok: false,
      error: json?.error ?? { code: `HTTP_${response.status}`, message: text.slice(0, 200) || `the function answered ${response.status}` },
    };
  }
}
