import { MAX_BATCH_ITEMS } from "../../../handler/direct/events.js";
import {
  EXPRESS_DURATION_PRICE_PER_GB_SECOND,
  EXPRESS_DURATION_STEP_MS,
  EXPRESS_MEMORY_STEP_MB,
  EXPRESS_REQUEST_PRICE,
  S3_GET_PRICE,
  S3_KEYS_PER_LIST,
  S3_LIST_PUT_PRICE,
  STANDARD_TRANSITION_PRICE,
} from "./batch-pricing.js";
import { billedDurationMs } from "./estimate.js";
import { type Architecture, DURATION_PRICE_PER_GB_SECOND, MAX_MEMORY_MB, MIN_MEMORY_MB, REQUEST_PRICE_PER_MILLION } from "./pricing.js";

export type ChildExecutionType = "STANDARD" | "EXPRESS";
export const CHILD_EXECUTION_TYPES: readonly ChildExecutionType[] = ["STANDARD", "EXPRESS"];

/** Where the Distributed Map reads its items: ListObjectsV2 over a prefix, or one CSV/JSONL/inventory manifest. */
export type ItemSource = "listing" | "manifest";
export const ITEM_SOURCES: readonly ItemSource[] = ["listing", "manifest"];


/** Lambda's longest timeout. */
export const MAX_INVOCATION_MS = 900_000;

/**
 * Transitions of the parent execution, whatever the item count: entering ChooseReader, entering the Map state,
 * ending. Step Functions also charges one transition per child execution the Map state starts (AWS's "Transitions in
 * Distributed Map states"), counted per child below.
 */
export const PARENT_TRANSITIONS = 3;

/** A STANDARD child's own transitions: entering the Score task and ending (each Lambda retry would add one). */
export const STANDARD_CHILD_OWN_TRANSITIONS = 2;

/**
 * ResultWriter's records, estimated: per image its listObjectsV2 item in `Input` and its compact result with five
 * predictions in `Output` (both JSON strings, so escaped); per child the record's own fields (ARN, name, dates).
 */
export const RESULT_BYTES_PER_IMAGE = 500;
export const RESULT_BYTES_PER_CHILD = 350;
/** Assumed largest ResultWriter results file; more results are split into further SUCCEEDED_n.json files. */
export const RESULT_FILE_MAX_BYTES = 5 * 1024 ** 3;

export interface BatchJobInput {
  images: number;
  /** Images per invocation (the ItemBatcher's MaxItemsPerBatch). */
  batchSize: number;
  memoryMB: number;
  architecture: Architecture;
  /** Duration of one invocation scoring `batchSize` images, before Lambda's rounding. */
  invocationMs: number;
  childExecutionType: ChildExecutionType;
  source: ItemSource;
}

export interface BatchJobCost {
  input: BatchJobInput;
  invocations: number;
  lambda: { billedMs: number; gbSeconds: number; requests: number; duration: number; total: number };
  stepFunctions: {
    /** Child executions = invocations (one Score task per child). */
    childExecutions: number;
    /** STANDARD transitions: the parent's, one per child started, and a STANDARD child's own. */
    transitions: number;
    transitionCharge: number;
    /** EXPRESS children only: executions and their billed GB-seconds. */
    expressRequests: number;
    expressGbSeconds: number;
    expressRequestCharge: number;
    expressDurationCharge: number;
    total: number;
  };
  s3: {
    lists: number;
    gets: number;
    /** ResultWriter's manifest.json and results files (parts of multipart uploads not counted). */
    puts: number;
    resultBytes: number;
    listCharge: number;
    getCharge: number;
    putCharge: number;
    total: number;
  };
  total: number;
  perMillionImages: number;
}

export function checkBatchJobInput(input: BatchJobInput): void {
  const { images, batchSize, memoryMB, invocationMs } = input;
  if (!Number.isInteger(images) || images < 1) throw new RangeError(`images must be a positive whole number, got ${images}`);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_ITEMS) {
    throw new RangeError(`batch size must be a whole number from 1 to ${MAX_BATCH_ITEMS} (the function's limit), got ${batchSize}`);
  }
  if (!Number.isInteger(memoryMB) || memoryMB < MIN_MEMORY_MB || memoryMB > MAX_MEMORY_MB) {
    throw new RangeError(`memory must be a whole number of MB from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB}, got ${memoryMB}`);
  }
  if (!(input.architecture in DURATION_PRICE_PER_GB_SECOND)) {
    throw new RangeError(`architecture must be x86_64 or arm64, got ${String(input.architecture)}`);
  }
  if (!Number.isFinite(invocationMs) || invocationMs <= 0) {
    throw new RangeError(`invocation duration must be a positive number of milliseconds, got ${invocationMs}`);
  }
  if (invocationMs > MAX_INVOCATION_MS) {
    throw new RangeError(`one invocation of ${batchSize} images would take ${Math.round(invocationMs)} ms, over Lambda's 900 s timeout: use a smaller batch size`);
  }
  if (!CHILD_EXECUTION_TYPES.includes(input.childExecutionType)) {
    throw new RangeError(`child execution type must be STANDARD or EXPRESS, got ${String(input.childExecutionType)}`);
  }
  if (!ITEM_SOURCES.includes(input.source)) throw new RangeError(`source must be listing or manifest, got ${String(input.source)}`);
}

/** What one Distributed Map job over `images` images costs: Lambda, Step Functions and S3 requests. */
export function estimateBatchJobCost(input: BatchJobInput): BatchJobCost {
  checkBatchJobInput(input);
  const { images, batchSize } = input;
  const invocations = Math.ceil(images / batchSize);

  const billedMs = billedDurationMs(input.invocationMs);
  const gbSeconds = invocations * (billedMs / 1000) * (input.memoryMB / 1024);
  const lambdaRequests = (invocations / 1e6) * REQUEST_PRICE_PER_MILLION;
  const lambdaDuration = gbSeconds * DURATION_PRICE_PER_GB_SECOND[input.architecture];

  const standard = input.childExecutionType === "STANDARD";
  const transitions = PARENT_TRANSITIONS + invocations * (1 + (standard ? STANDARD_CHILD_OWN_TRANSITIONS : 0));
  const transitionCharge = transitions * STANDARD_TRANSITION_PRICE;
  // An EXPRESS child lasts at least as long as the invocation it waits for.
  const expressRequests = standard ? 0 : invocations;
  const expressBilledS = (Math.ceil(billedMs / EXPRESS_DURATION_STEP_MS) * EXPRESS_DURATION_STEP_MS) / 1000;
  const expressGbSeconds = expressRequests * expressBilledS * (EXPRESS_MEMORY_STEP_MB / 1024);
  const expressRequestCharge = expressRequests * EXPRESS_REQUEST_PRICE;
  const expressDurationCharge = expressGbSeconds * EXPRESS_DURATION_PRICE_PER_GB_SECOND;

  const lists = input.source === "listing" ? Math.ceil(images / S3_KEYS_PER_LIST) : 0;
  const gets = images + (input.source === "manifest" ? 1 : 0);
  const resultBytes = images * RESULT_BYTES_PER_IMAGE + invocations * RESULT_BYTES_PER_CHILD;
  const puts = 1 + Math.ceil(resultBytes / RESULT_FILE_MAX_BYTES);
  const listCharge = lists * S3_LIST_PUT_PRICE;
  const getCharge = gets * S3_GET_PRICE;
  const putCharge = puts * S3_LIST_PUT_PRICE;

  const lambda = { billedMs, gbSeconds, requests: lambdaRequests, duration: lambdaDuration, total: lambdaRequests + lambdaDuration };
  const stepFunctions = {
    childExecutions: invocations,
    transitions,
    transitionCharge,
    expressRequests,
    expressGbSeconds,
    expressRequestCharge,
    expressDurationCharge,
    total: transitionCharge + expressRequestCharge + expressDurationCharge,
  };
  const s3 = { lists, gets, puts, resultBytes, listCharge, getCharge, putCharge, total: listCharge + getCharge + putCharge };
  const total = lambda.total + stepFunctions.total + s3.total;
  return { input, invocations, lambda, stepFunctions, s3, total, perMillionImages: (total / images) * 1e6 };
}

export interface BatchComparison {
  batchSize: number;
  architectures: Architecture[];
  /** The job at `batchSize` images per invocation, by architecture. */
  batched: Partial<Record<Architecture, BatchJobCost>>;
  /** The same job at one image per invocation, by architecture. */
  single: Partial<Record<Architecture, BatchJobCost>>;
  /** Cost per image at one image per invocation ÷ at `batchSize`, by architecture. */
  cheaperBy: Partial<Record<Architecture, number>>;
}

/** The job at `batchSize` images per invocation beside the same job at one image per invocation. */
export function compareWithSingleImage(
  job: Omit<BatchJobInput, "architecture" | "batchSize" | "invocationMs">,
  batchSize: number,
  invocationMs: (batchSize: number) => number,
  architectures: readonly Architecture[],
): BatchComparison {
  const comparison: BatchComparison = { batchSize, architectures: [...architectures], batched: {}, single: {}, cheaperBy: {} };
  for (const architecture of architectures) {
    const batched = estimateBatchJobCost({ ...job, architecture, batchSize, invocationMs: invocationMs(batchSize) });
    const single = estimateBatchJobCost({ ...job, architecture, batchSize: 1, invocationMs: invocationMs(1) });
    comparison.batched[architecture] = batched;
    comparison.single[architecture] = single;
    comparison.cheaperBy[architecture] = single.perMillionImages / batched.perMillionImages;
  }
  return comparison;
}
