import type { S3Location } from "../s3.js";

/** The manifest formats the state machine's readers take (contract: `source.format`). */
export type ManifestFormat = "CSV" | "JSONL" | "MANIFEST";

/** What a remote engine scores: every object under a prefix, or the objects a manifest names. */
export type EngineSource =
  | { kind: "listing"; bucket: string; prefix: string }
  | { kind: "manifest"; bucket: string; key: string; format: ManifestFormat };

interface CommonEngineOptions {
  source: EngineSource;
  /** cdktf's outputs file, read for every setting not given as a flag (default cdktf.out/outputs.json). */
  outputsFile: string;
  /** Where the tool remembers the execution or job it started, for --resume (default: next to the output). */
  stateFile: string;
  /** How often the execution or job is described (default 5 s; env BATCH_POLL_INTERVAL_MS). */
  pollMs: number;
  region: string | undefined;
}

export interface StepFunctionsOptions extends CommonEngineOptions {
  kind: "stepfunctions";
  /** From `--target stepfunctions:<arn>`, else the output `batch_state_machine_arn`. */
  stateMachineArn: string | undefined;
  /** Where manifests of missing items are written on --resume (default: the results prefix + "manifests/"). */
  staging: S3Location | undefined;
}

export interface BatchOperationsOptions extends CommonEngineOptions {
  kind: "s3-batch-operations";
  /** Defaults: outputs `batch_function_alias_arn`, `batch_operations_role_arn`; the account from the role ARN. */
  functionArn: string | undefined;
  roleArn: string | undefined;
  accountId: string | undefined;
  /** The completion report's bucket and prefix (default: outputs `batch_results_bucket` / `batch_results_prefix`). */
  report: S3Location | undefined;
}

export type EngineOptions = StepFunctionsOptions | BatchOperationsOptions;

/** `.csv` → CSV, `.jsonl`/`.ndjson` → JSONL, `manifest.json` → MANIFEST (an S3 Inventory manifest). */
export function manifestFormatForKey(key: string): ManifestFormat | undefined {
  if (/\.csv$/i.test(key)) return "CSV";
  if (/\.(jsonl|ndjson)$/i.test(key)) return "JSONL";
  if (/(^|\/)manifest\.json$/i.test(key)) return "MANIFEST";
  return undefined;
}
