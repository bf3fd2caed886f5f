import { z } from "zod";
import { accountId, bucketName } from "../handler/s3-allowlist.js";

/**
 * S3's "safe" key characters (letters, digits, ! - _ . ' ( ) /) without `*`, plus `=` for Hive-style partitions.
 * Everything else is refused: `*` and `?` would widen the IAM grant, `${` is Terraform interpolation, `,` was the old
 * separator of S3_INPUT_ALLOWLIST, and control characters or a leading `/` never name what the operator meant.
 */
export const S3_PREFIX_PATTERN = /^[A-Za-z0-9!_.'()=\/-]*$/;

/** A key prefix an IAM grant may end in (`arn:aws:s3:::bucket/<prefix>*`). */
export const s3PrefixSchema = z
  .string()
  .max(1024)
  .regex(/^[^*?]*$/, "must not contain wildcards (* or ?)")
  .regex(/^(?!\/)/, "must not start with /")
  .regex(S3_PREFIX_PATTERN, "may only contain letters, digits and ! - _ . ' ( ) = /");

export const s3InputSchema = z.strictObject({
  bucket: bucketName,
  prefix: s3PrefixSchema.default(""),
  /** Account that must own the bucket (s3:ResourceAccount, ExpectedBucketOwner); default: the stage's. */
  expectedBucketOwner: accountId.optional(),
});
