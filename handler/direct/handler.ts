import type { Context } from "aws-lambda";
import { remainingTimeOf } from "../deadline.js";
import type { Classifier } from "../classifier.js";
import type { Config } from "../config.js";
import type { ResolveImageSource } from "../image-sources.js";
import type { Telemetry } from "../telemetry.js";
import { defaultTopK } from "../top-k.js";
import type { MapAnswer } from "./answer-size.js";
import { type BatchOperationsResponse, createBatchOperationsHandler } from "./batch-operations.js";
import { createDistributedMapHandler } from "./distributed-map.js";
import { type ItemOutcome, ObjectScorer, type ReadObject } from "./object-scorer.js";
import { createPlainInvocationHandler, type PlainAnswer } from "./plain-invocation.js";
import { type EventKind, recogniseEvent, UnrecognisedEventError } from "./recognise.js";
import { type DirectInvocationRecord, recordDirectInvocation } from "./telemetry.js";

export interface DirectHandlerDependencies {
  config: Pick<Config, "topKDefault" | "maxBodyBytes" | "maxBatchImages">;
  classifier: Classifier;
  telemetry: Telemetry;
  /** Reads one S3 object through the function's S3 source (functionS3Reader). */
  readObject: ReadObject;
  /** How plain invocations' image sources become bytes (as for the function URL). */
  resolveSource: ResolveImageSource;
}

export type DirectAnswer = MapAnswer | BatchOperationsResponse | PlainAnswer;

export type DirectHandler = (event: unknown, context?: Context) => Promise<DirectAnswer>;

interface Counts {
  items: number;
  ok: number;
  failed: number;
  timedOut: number;
  itemErrorCodes?: Record<string, number>;
}

/**
 * The function's answer to events that are not function-URL requests: a Distributed Map batch, an S3 Batch
 * Operations task or a plain Lambda API invocation, told apart by shape (recognise.ts). A malformed or unrecognised
 * event throws: Lambda reports an invocation error, and the environment lives on.
 */
export function createDirectHandler({ config, classifier, telemetry, readObject, resolveSource }: DirectHandlerDependencies): DirectHandler {
  const topKDefault = defaultTopK(config.topKDefault, classifier.manifest.labels.length);
  const scorer = new ObjectScorer({ classifier, readObject, chunkSize: config.maxBatchImages });
  const distributedMap = createDistributedMapHandler({ classifier, scorer, topKDefault });
  const batchOperations = createBatchOperationsHandler({ classifier, scorer, topKDefault });
  const plain = createPlainInvocationHandler({ classifier, config, resolveSource });

  async function answer(kind: EventKind, event: unknown, context: Context | undefined): Promise<{ answer: DirectAnswer; counts: Counts }> {
    const invocationId = context?.awsRequestId ?? "";
    const remainingMs = remainingTimeOf(context);
    switch (kind) {
      case "distributed-map": {
        const { answer, outcomes } = await distributedMap(event, remainingMs);
        return { answer, counts: countOutcomes(outcomes) };
      }
      case "batch-operations": {
        const { response, outcomes } = await batchOperations(event, remainingMs);
        return { answer: response, counts: countOutcomes(outcomes) };
      }
      case "plain": {
        const answer = await plain(event, invocationId, remainingMs);
        return { answer, counts: countPlain(answer) };
      }
      case "function-url":
        throw new UnrecognisedEventError("a function URL event reached the direct handler; the entry point routes it to the URL handler");
    }
  }

  return async (event, context) => {
    const startedAt = performance.now();
    const record: DirectInvocationRecord = {
      invocationId: context?.awsRequestId ?? "",
      kind: "unrecognised",
      items: 0,
      ok: 0,
      failed: 0,
      timedOut: 0,
      totalMs: 0,
    };
    try {
      const kind = recogniseEvent(event);
      record.kind = kind;
      const { answer: result, counts } = await answer(kind, event, context);
      Object.assign(record, counts);
      return result;
    } catch (error) {
      record.errorName = (error as Error)?.name ?? "Error";
      record.errorMessage = String((error as Error)?.message ?? error).slice(0, 1000);
      throw error;
    } finally {
      record.totalMs = Math.round((performance.now() - startedAt) * 100) / 100;
      recordDirectInvocation(telemetry, record, context);
    }
  };
}

const countOutcomes = (outcomes: readonly ItemOutcome[]): Counts =>
  countCodes(outcomes.map((outcome) => (outcome.ok ? undefined : outcome.error.code)));

/** Counts from each item's error code (undefined: scored). */
function countCodes(codes: ReadonlyArray<string | undefined>): Counts {
  const counts: Counts = { items: codes.length, ok: 0, failed: 0, timedOut: 0 };
  const byCode: Record<string, number> = {};
  for (const code of codes) {
    if (code === undefined) {
      counts.ok++;
      continue;
    }
    if (code === "TIMEOUT") counts.timedOut++;
    else counts.failed++;
    byCode[code] = (byCode[code] ?? 0) + 1;
  }
  return Object.keys(byCode).length ? { ...counts, itemErrorCodes: byCode } : counts;
}

function countPlain(answer: PlainAnswer): Counts {
  if ("error" in answer) return { items: 0, ok: 0, failed: 0, timedOut: 0, itemErrorCodes: { [answer.error.code]: 1 } };
  if ("predictions" in answer) return { items: 1, ok: 1, failed: 0, timedOut: 0 };
  return countCodes(answer.results.map((result) => ("error" in result ? result.error.code : undefined)));
}
