import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { MAX_S3_REFS, type S3ObjectRef, s3FieldSchema } from "./contract/classify-request.js";
import { ClientError } from "./errors.js";
import { type AllowRule, allowingRule } from "./s3-allowlist.js";
import { createS3Client } from "./s3-client.js";

export { type AllowRule, parseAllowlist } from "./s3-allowlist.js";
export { MAX_S3_REFS, type S3ObjectRef };

export interface S3SourceOptions {
  client: S3Client;
  allowlist: readonly AllowRule[];
  maxBytes: number;
  /** Account that must own the bucket when its entry names none (S3_EXPECTED_BUCKET_OWNER). */
  expectedBucketOwner?: string;
}

/** Same matching as an IAM resource `arn:aws:s3:::bucket/prefix*`, so the allowlist and the policy agree. */
export function isAllowed(ref: S3ObjectRef, allowlist: readonly AllowRule[]): boolean {
  return allowingRule(ref, allowlist) !== undefined;
}

/**
 * Validates the `s3` field of a JSON body: one `{bucket, key}` or a list of at most `maxRefs` (and MAX_S3_REFS) of
 * them. A longer list is TOO_MANY_IMAGES before any element is looked at, so its length bounds the work.
 */
export function parseS3Refs(value: unknown, maxRefs: number = MAX_S3_REFS): { refs: S3ObjectRef[]; isList: boolean } {
  const limit = Math.min(maxRefs, MAX_S3_REFS);
  if (Array.isArray(value) && value.length > limit) {
    throw new ClientError("TOO_MANY_IMAGES", `${value.length} images; at most ${limit} per request`);
  }
  const parsed = s3FieldSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `s3.${issue.path.join(".")}` : "s3";
    throw new ClientError(
      "INVALID_REQUEST",
      `${where}: expected {"bucket": string, "key": string} or a list of 1 to ${MAX_S3_REFS} of them` +
        (issue ? ` (${issue.message})` : ""),
    );
  }
  return Array.isArray(parsed.data) ? { refs: parsed.data, isList: true } : { refs: [parsed.data], isList: false };
}

const describe = (ref: S3ObjectRef) => `s3://${ref.bucket}/${ref.key}`;

export class S3Source {
  constructor(private readonly options: S3SourceOptions) {}

  /** The entry allowing `ref`; S3_ACCESS_DENIED when none does, checked before any object is read. */
  assertAllowed(ref: S3ObjectRef): AllowRule {
    const rule = allowingRule(ref, this.options.allowlist);
    if (rule) return rule;
    const message =
      this.options.allowlist.length === 0
        ? "this function reads no S3 objects: S3_INPUT_ALLOWLIST is empty"
        : `${describe(ref)} is outside the allowed buckets and prefixes of this function`;
    throw new ClientError("S3_ACCESS_DENIED", message);
  }

  /**
   * The object's bytes (of `versionId` when given, else the current version); ClientError S3_ACCESS_DENIED,
   * S3_OBJECT_NOT_FOUND, S3_OBJECT_TOO_LARGE or S3_UNAVAILABLE.
   */
  async read(ref: S3ObjectRef, versionId?: string): Promise<Uint8Array> {
    const rule = this.assertAllowed(ref);
    const { client, maxBytes } = this.options;
    const expectedBucketOwner = rule.expectedBucketOwner ?? this.options.expectedBucketOwner;
    let response;
    try {
      response = await client.send(
        new GetObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          ...(versionId && { VersionId: versionId }),
          ...(expectedBucketOwner && { ExpectedBucketOwner: expectedBucketOwner }),
        }),
      );
    } catch (error) {
      throw s3ClientError(error, ref);
    }
    const body = response.Body as AsyncIterable<Uint8Array> & { destroy?: () => void };
    if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
      body.destroy?.();
      throw tooLarge(ref, maxBytes);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for await (const chunk of body) {
        total += chunk.byteLength;
        if (total > maxBytes) {
          body.destroy?.();
          throw tooLarge(ref, maxBytes);
        }
        chunks.push(chunk);
      }
    } catch (error) {
      if (error instanceof ClientError) throw error;
      throw new ClientError("S3_UNAVAILABLE", `reading ${describe(ref)} failed mid-stream`, { cause: error });
    }
    return Buffer.concat(chunks, total);
  }
}

function tooLarge(ref: S3ObjectRef, maxBytes: number): ClientError {
  return new ClientError("S3_OBJECT_TOO_LARGE", `${describe(ref)} is larger than the limit of ${maxBytes} bytes`);
}

function s3ClientError(error: unknown, ref: S3ObjectRef): ClientError {
  const name = (error as { name?: string }).name ?? "";
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const options = { cause: error };
  if (name === "NoSuchKey" || name === "NotFound" || name === "NoSuchVersion") {
    return new ClientError("S3_OBJECT_NOT_FOUND", `${describe(ref)} does not exist`, options);
  }
  if (name === "NoSuchBucket") return new ClientError("S3_OBJECT_NOT_FOUND", `bucket ${ref.bucket} does not exist`, options);
  if (name === "AccessDenied" || status === 403) {
    return new ClientError("S3_ACCESS_DENIED", `S3 denied this function access to ${describe(ref)}`, options);
  }
  return new ClientError("S3_UNAVAILABLE", `S3 could not serve ${describe(ref)} (${name || "network error"})`, options);
}

/** The settings of the function's S3 source, from the validated configuration (config.ts). */
export interface FunctionS3Settings {
  s3InputAllowlist: readonly AllowRule[];
  s3MaxObjectBytes: number;
  s3ExpectedBucketOwner?: string;
}

const createFunctionS3Client = () => createS3Client({ requestHandler: { connectionTimeout: 3_000, requestTimeout: 20_000 } });

/**
 * Reads S3 objects for the function. One client per execution environment, built on the first S3 reference: a
 * function that is never sent one (or has no allowlist) never builds one, and nothing is built at import.
 */
export function functionS3Reader(
  settings: FunctionS3Settings,
  createClient: () => S3Client = createFunctionS3Client,
): (ref: S3ObjectRef, versionId?: string) => Promise<Uint8Array> {
  let source: S3Source | undefined;
  return (ref, versionId) => {
    source ??= new S3Source({
      client: createClient(),
      allowlist: settings.s3InputAllowlist,
      maxBytes: settings.s3MaxObjectBytes,
      ...(settings.s3ExpectedBucketOwner && { expectedBucketOwner: settings.s3ExpectedBucketOwner }),
    });
    return source.read(ref, versionId);
  };
}
