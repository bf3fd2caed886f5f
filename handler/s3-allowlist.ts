import { z } from "zod";

/**
 * One allowlist entry: a whole bucket (prefix "") or the keys of a bucket that start with a prefix, optionally with
 * the account that must own the bucket (sent as ExpectedBucketOwner, so a bucket re-created elsewhere is not read).
 */
export interface AllowRule {
  bucket: string;
  prefix: string;
  expectedBucketOwner?: string;
}

export const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name");
// The policy grants `bucket/prefix*` byte for byte: whitespace, wildcards, commas and `${` (an IAM policy variable, and
// Terraform interpolation) would mean something else there than here.
const prefix = z
  .string()
  .max(1024)
  .regex(/^[^\s*?,]*$/, "must not contain whitespace, *, ? or ,")
  .refine((value) => !value.includes("${"), "must not contain ${")
  .refine((value) => !value.startsWith("/"), "must not start with /");
export const accountId = z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id");

const ruleSchema = z.strictObject({ bucket: bucketName, prefix: prefix.default(""), expectedBucketOwner: accountId.optional() });
const jsonListSchema = z.array(ruleSchema);

const describeIssue = (error: z.ZodError) =>
  error.issues.map((issue) => (issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message)).join("; ");

/**
 * `S3_INPUT_ALLOWLIST`: a JSON list `[{"bucket", "prefix"?, "expectedBucketOwner"?}]` (what the stack sets), or by
 * hand `bucket` / `bucket/prefix` entries separated by commas. Empty means no S3 input at all. Nothing is trimmed:
 * IAM would not trim either, so a stray space is an error, not a different rule.
 */
export function parseAllowlist(value: string | undefined): AllowRule[] {
  if (value === undefined || value === "") return [];
  if (value.startsWith("[")) {
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch (error) {
      throw new Error(`not valid JSON (${(error as Error).message})`, { cause: error });
    }
    const parsed = jsonListSchema.safeParse(json);
    if (!parsed.success) throw new Error(describeIssue(parsed.error));
    return parsed.data.map(({ bucket, prefix: keyPrefix, expectedBucketOwner }) =>
      expectedBucketOwner ? { bucket, prefix: keyPrefix, expectedBucketOwner } : { bucket, prefix: keyPrefix },
    );
  }
  return value.split(",").map((entry, index) => {
    const slash = entry.indexOf("/");
    const rule = slash < 0 ? { bucket: entry } : { bucket: entry.slice(0, slash), prefix: entry.slice(slash + 1) };
    const parsed = ruleSchema.safeParse(rule);
    if (!parsed.success) throw new Error(`entry ${index + 1} ${JSON.stringify(entry)}: ${describeIssue(parsed.error)}`);
    return { bucket: parsed.data.bucket, prefix: parsed.data.prefix };
  });
}

/** The first entry that allows `bucket/key`; same matching as an IAM resource `arn:aws:s3:::bucket/prefix*`. */
export function allowingRule(ref: { bucket: string; key: string }, allowlist: readonly AllowRule[]): AllowRule | undefined {
  return allowlist.find((rule) => rule.bucket === ref.bucket && ref.key.startsWith(rule.prefix));
}
