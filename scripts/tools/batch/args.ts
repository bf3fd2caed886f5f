import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { BackoffOptions } from "./backoff.js";
import { DEFAULT_BACKOFF } from "./backoff.js";
import { type EngineOptions, type ManifestFormat, manifestFormatForKey } from "./engines/engine-options.js";
import { type FormatName, formatForPath } from "./formats.js";
import { isS3Url, parseS3Url, type S3Location } from "./s3.js";
import { FUNCTION_DEFAULTS } from "../../../handler/settings.js";
import { functionUrlRegion, signingRefusal } from "../../shared/sigv4.js";

export const USAGE = `Usage: npm run batch -- --input <dir | s3://bucket/prefix> --output <file.jsonl | file.csv | s3://bucket/key.jsonl> [options]
       npm run batch -- --input s3://bucket/prefix/ | --manifest s3://bucket/key --target stepfunctions[:ARN] | s3-batch-operations --output …

Options:
  --input DIR|S3URL      images to score: a folder (recursive) or an S3 prefix; image extensions only
  --output FILE|S3URL    .jsonl or .csv, a local file or an S3 object
  --target local|URL     "local" (default): in-process worker threads; or a function URL (SigV4 for *.lambda-url.*.on.aws,
                         which must be https)
  --by-reference         with a URL target and S3 input: send {"s3": {"bucket", "key"}} and let the function read S3
  --concurrency N        images in flight (default: 3 x workers for local, 8 for a URL)
  --workers N            local target: worker threads, one ONNX session each (default: CPU count)
  --threads N            local target: ONNX Runtime threads per worker (default: CPUs / workers)
  --model DIR            local target: model folder (default: $MODEL_DIR or model/)
  --top-k K              predictions per image (default 5)
  --max-bytes N          skip inputs larger than N bytes with an INPUT_TOO_LARGE line, unread (default 20971520,
                         the function's S3_MAX_OBJECT_BYTES default); with --by-reference the function's own limit applies
  --limit N              score only the first N inputs of the listing (in key/path order)
  --resume               skip inputs already in the output (same key/path and ETag/mtime); inputs whose line is a
                         transient error (TIMEOUT, HTTP_429, HTTP_5xx, TARGET_UNREACHABLE, S3_UNAVAILABLE, WORKER_CRASHED,
                         …) are scored again and their old line dropped
  --retry-errors         with --resume: score every input whose line is an error again, permanent ones too
  --format jsonl|csv     output format when the extension does not say
  --retries N            retries per request on throttling, 5xx, timeouts, connection errors (default 8)
  --timeout SECONDS      per-request timeout for a URL target (default 30)
  --help                 this text

Remote engines (AWS scores; this tool starts, follows and collects; see README "Batch scoring"):
  --target stepfunctions[:ARN]  a Step Functions Distributed Map execution (ARN default: output batch_state_machine_arn)
  --target s3-batch-operations  an S3 Batch Operations job invoking the function once per object
  --manifest S3URL       score the objects a manifest names instead of a prefix: .csv (header row, columns Key and
                         optionally Bucket), .jsonl ({"Key", "Bucket"?} per line) or an S3 Inventory manifest.json
  --manifest-format F    CSV | JSONL | MANIFEST when the key's extension does not say
  --function-arn ARN     s3-batch-operations: the function alias to invoke (default: output batch_function_alias_arn)
  --role-arn ARN         s3-batch-operations: the role the job runs as (default: output batch_operations_role_arn)
  --account-id ID        s3-batch-operations: the account (default: taken from the role ARN)
  --report S3URL         s3-batch-operations: completion report prefix (default: outputs batch_results_bucket/prefix)
  --staging S3URL        where manifests of the items to score are written (default: the results prefix + manifests/)
  --outputs FILE         cdktf outputs file for the defaults above (default cdktf.out/outputs.json)
  --state FILE           where the execution ARN or job id is kept for --resume (default: <output>.execution.json)
  --region REGION        AWS region (default: the SDK's: AWS_REGION, profile)
  --resume               remote: follow the last execution if it still runs, redrive it if it failed, was stopped or
                         timed out, otherwise start a new one over only the items missing from the output
  Endpoints: the SDK's AWS_ENDPOINT_URL_SFN, AWS_ENDPOINT_URL_S3_CONTROL and AWS_ENDPOINT_URL_S3 are honoured.`;

export class UsageError extends Error {}

export interface BatchOptions {
  /** A folder or S3 prefix; "" for a remote engine given --manifest instead. */
  input: string;
  output: string;
  format: FormatName;
  target: "local" | URL;
  byReference: boolean;
  concurrency: number;
  workers: number;
  threads: number;
  modelDir: string;
  topK: number;
  /** Inputs larger than this (listed size) are not read; their line is an INPUT_TOO_LARGE error. */
  maxBytes: number;
  limit: number | undefined;
  resume: boolean;
  /** With resume: score inputs with a permanent error line again too (transient ones always are). */
  retryErrors: boolean;
  backoff: BackoffOptions;
  timeoutMs: number;
  /** Set when a remote engine (Step Functions, S3 Batch Operations) scores instead of this machine. */
  engine?: EngineOptions;
}

function positiveInteger(name: string, value: string | undefined, fallback: number): number;
function positiveInteger(name: string, value: string | undefined, fallback: undefined): number | undefined;
function positiveInteger(name: string, value: string | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return Number(value);
}

/** Parses the command line; throws UsageError with a message that names the problem. Returns undefined for --help. */
export function parseBatchArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BatchOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        input: { type: "string" },
        output: { type: "string" },
        target: { type: "string", default: "local" },
        "by-reference": { type: "boolean", default: false },
        concurrency: { type: "string" },
        workers: { type: "string" },
        threads: { type: "string" },
        model: { type: "string" },
        "top-k": { type: "string" },
        "max-bytes": { type: "string" },
        limit: { type: "string" },
        resume: { type: "boolean", default: false },
        "retry-errors": { type: "boolean", default: false },
        format: { type: "string" },
        retries: { type: "string" },
        timeout: { type: "string" },
        manifest: { type: "string" },
        "manifest-format": { type: "string" },
        "function-arn": { type: "string" },
        "role-arn": { type: "string" },
        "account-id": { type: "string" },
        report: { type: "string" },
        staging: { type: "string" },
        outputs: { type: "string" },
        state: { type: "string" },
        region: { type: "string" },
        help: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values;
  if (values.help) return undefined;
  const remote = /^(stepfunctions(:|$)|s3-batch-operations$)/.test(values.target!);
  if (!values.input && !(remote && values.manifest)) throw new UsageError("--input is required (a folder or s3://bucket/prefix)");
  if (!values.output) throw new UsageError("--output is required (a .jsonl or .csv file, or s3://bucket/key.jsonl)");
  if (isS3Url(values.output) && /^s3:\/\/[^/]+\/?$/.test(values.output)) {
    throw new UsageError(`--output ${values.output} names a bucket, not an object key`);
  }

  if (values["retry-errors"] && !values.resume) throw new UsageError("--retry-errors needs --resume (without it the output is replaced)");

  let format: FormatName | undefined;
  if (values.format !== undefined) {
    if (values.format !== "jsonl" && values.format !== "csv") throw new UsageError(`--format must be jsonl or csv, got "${values.format}"`);
    format = values.format;
  } else {
    format = formatForPath(values.output);
    if (!format) throw new UsageError(`cannot tell the format of "${values.output}": end it with .jsonl or .csv, or give --format`);
  }

  let target: "local" | URL = "local";
  if (remote) {
    // Remote engines: the flags of local and URL targets do not apply.
  } else if (values.target !== "local") {
    try {
      target = new URL(values.target!);
    } catch {
      throw new UsageError(`--target must be "local" or an http(s) URL, got "${values.target}"`);
    }
    if (target.protocol !== "http:" && target.protocol !== "https:") throw new UsageError(`--target URL must be http or https, got "${values.target}"`);
    const refusal = functionUrlRegion(target.hostname) && signingRefusal(target);
    if (refusal) throw new UsageError(refusal);
  }
  if (values["by-reference"]) {
    if (target === "local") throw new UsageError("--by-reference needs a function URL as --target");
    if (!isS3Url(values.input ?? "")) throw new UsageError("--by-reference needs S3 input (--input s3://bucket/prefix)");
  }

  const engineFlags = ["manifest", "manifest-format", "function-arn", "role-arn", "account-id", "report", "staging", "state", "region"] as const;
  const stray = engineFlags.find((flag) => values[flag] !== undefined);
  if (!remote && stray) throw new UsageError(`--${stray} needs --target stepfunctions or s3-batch-operations`);

  const cpus = availableParallelism();
  const workers = positiveInteger("workers", values.workers, cpus);
  const threads = positiveInteger("threads", values.threads, Math.max(1, Math.floor(cpus / workers)));
  const concurrency = positiveInteger("concurrency", values.concurrency, target === "local" ? workers * 3 : 8);
  const retries = values.retries === "0" ? 0 : positiveInteger("retries", values.retries, DEFAULT_BACKOFF.maxAttempts - 1);
  const timeoutSeconds = positiveInteger("timeout", values.timeout, 30);

  return {
    input: values.input === undefined ? "" : isS3Url(values.input) ? values.input : resolve(values.input),
    output: isS3Url(values.output) ? values.output : resolve(values.output),
    format,
    target,
    byReference: values["by-reference"]!,
    concurrency,
    workers,
    threads,
    modelDir: resolve(values.model ?? env.MODEL_DIR ?? "model"),
    topK: positiveInteger("top-k", values["top-k"], 5),
    maxBytes: positiveInteger("max-bytes", values["max-bytes"], FUNCTION_DEFAULTS.s3MaxObjectBytes),
    limit: positiveInteger("limit", values.limit, undefined),
    resume: values.resume!,
    retryErrors: values["retry-errors"]!,
    backoff: { ...DEFAULT_BACKOFF, maxAttempts: retries + 1 },
    timeoutMs: timeoutSeconds * 1000,
    ...(remote && { engine: parseEngine(values, isS3Url(values.output) ? values.output : resolve(values.output), env) }),
  };
}

type EngineFlagValues = { [flag: string]: string | boolean | undefined };

function s3Flag(name: string, value: string | boolean | undefined): S3Location | undefined {
  if (typeof value !== "string") return undefined;
  if (!isS3Url(value)) throw new UsageError(`--${name} must be an s3://bucket/key URL, got "${value}"`);
  return parseS3Url(value);
}

const stringFlag = (value: string | boolean | undefined) => (typeof value === "string" ? value : undefined);

function parseEngine(values: EngineFlagValues, output: string, env: NodeJS.ProcessEnv): EngineOptions {
  const input = stringFlag(values.input);
  const manifestUrl = stringFlag(values.manifest);
  if (input && manifestUrl) throw new UsageError("give --input s3://bucket/prefix or --manifest s3://bucket/key, not both");
  if (input && !isS3Url(input)) throw new UsageError(`a remote engine reads S3: --input must be s3://bucket/prefix, got "${input}"`);
  if (values["by-reference"]) throw new UsageError("--by-reference applies to a function URL target only");
  let source: EngineOptions["source"];
  if (manifestUrl) {
    const manifest = s3Flag("manifest", manifestUrl)!;
    const given = stringFlag(values["manifest-format"])?.toUpperCase();
    if (given !== undefined && !["CSV", "JSONL", "MANIFEST"].includes(given)) {
      throw new UsageError(`--manifest-format must be CSV, JSONL or MANIFEST, got "${values["manifest-format"]}"`);
    }
    const format = (given as ManifestFormat | undefined) ?? manifestFormatForKey(manifest.key);
    if (!format) throw new UsageError(`cannot tell the format of the manifest "${manifestUrl}": end it with .csv, .jsonl or manifest.json, or give --manifest-format`);
    source = { kind: "manifest", bucket: manifest.bucket, key: manifest.key, format };
  } else {
    const location = parseS3Url(input!);
    source = { kind: "listing", bucket: location.bucket, prefix: location.key };
  }
  const common = {
    source,
    outputsFile: resolve(stringFlag(values.outputs) ?? "cdktf.out/outputs.json"),
    stateFile: resolve(stringFlag(values.state) ?? (isS3Url(output) ? `${output.slice(5).replace(/[^\w.-]+/g, "_")}.execution.json` : `${output}.execution.json`)),
    pollMs: Number(env.BATCH_POLL_INTERVAL_MS) || 5_000,
    region: stringFlag(values.region),
  };
  const target = String(values.target);
  if (target.startsWith("stepfunctions")) {
    const arn = target.slice("stepfunctions:".length) || undefined;
    if (arn !== undefined && !/^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[\w-]+$/.test(arn)) {
      throw new UsageError(`--target stepfunctions:<ARN> needs a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>), got "${arn}"`);
    }
    return { kind: "stepfunctions", ...common, stateMachineArn: arn, staging: s3Flag("staging", values.staging) };
  }
  const accountId = stringFlag(values["account-id"]);
  if (accountId !== undefined && !/^\d{12}$/.test(accountId)) throw new UsageError(`--account-id must be 12 digits, got "${accountId}"`);
  return {
    kind: "s3-batch-operations",
    ...common,
    functionArn: stringFlag(values["function-arn"]),
    roleArn: stringFlag(values["role-arn"]),
    accountId,
    report: s3Flag("report", values.report),
  };
}
