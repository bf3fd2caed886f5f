import { type OwnedS3Input, s3ObjectArn } from "../constructs/execution-role.js";

export type { OwnedS3Input };

/** `arn:aws:s3:::bucket`: ListBucket and GetBucketLocation name the bucket, not its objects. */
export const s3BucketArn = (bucket: string): string => `arn:aws:s3:::${bucket}`;

/** The locations grouped by the account that must own their buckets (s3:ResourceAccount), in first-seen order. */
export function byOwner<T extends { expectedBucketOwner: string }>(locations: readonly T[]): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const location of locations) groups.set(location.expectedBucketOwner, [...(groups.get(location.expectedBucketOwner) ?? []), location]);
  return [...groups];
}

const unique = (values: string[]): string[] => [...new Set(values)];
const numbered = (sid: string, index: number) => `${sid}${index === 0 ? "" : index}`;
const ownedBy = (owner: string) => ({ StringEquals: { "s3:ResourceAccount": owner } });

/** One statement per bucket owner granting `actions` on the objects under each location's prefix. */
export function objectStatements(sid: string, actions: readonly string[], locations: readonly OwnedS3Input[]) {
  return byOwner(locations).map(([owner, owned], index) => ({
    Sid: numbered(sid, index),
    Effect: "Allow",
    Action: [...actions],
    Resource: unique(owned.map(s3ObjectArn)),
    Condition: ownedBy(owner),
  }));
}

/** One statement per bucket owner granting `actions` on the buckets themselves. */
export function bucketStatements(sid: string, actions: readonly string[], locations: readonly OwnedS3Input[]) {
  return byOwner(locations).map(([owner, owned], index) => ({
    Sid: numbered(sid, index),
    Effect: "Allow",
    Action: [...actions],
    Resource: unique(owned.map(({ bucket }) => s3BucketArn(bucket))),
    Condition: ownedBy(owner),
  }));
}

/**
 * s3:ListBucket per bucket, limited by s3:prefix to the configured prefixes (a whole-bucket entry lists everything).
 * One statement per bucket: the prefix condition belongs to that bucket only.
 */
export function listStatements(sid: string, locations: readonly OwnedS3Input[]) {
  const buckets = new Map<string, OwnedS3Input[]>();
  for (const location of locations) buckets.set(location.bucket, [...(buckets.get(location.bucket) ?? []), location]);
  return [...buckets].flatMap(([bucket, entries]) =>
    byOwner(entries).map(([owner, owned]) => {
      const wholeBucket = owned.some(({ prefix }) => prefix === "");
      return { bucket, owner, prefixes: wholeBucket ? [] : unique(owned.map(({ prefix }) => `${prefix}*`)) };
    }),
  ).map(({ bucket, owner, prefixes }, index) => ({
    Sid: numbered(sid, index),
    Effect: "Allow",
    Action: ["s3:ListBucket"],
    Resource: s3BucketArn(bucket),
    Condition: prefixes.length === 0 ? ownedBy(owner) : { ...ownedBy(owner), StringLike: { "s3:prefix": prefixes } },
  }));
}
