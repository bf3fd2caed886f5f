import type { Prediction } from "../classifier.js";
import type { ModelIdentity } from "../contract/classify-response.js";
import type { ErrorDetail } from "../contract/error-body.js";

/** Step Functions' limit on a state's input and output, and so on a Distributed Map child's answer (256 KiB). */
export const MAX_STATE_PAYLOAD_BYTES = 262_144;

/** Room for what the lambda:invoke integration wraps around the answer (status code, version, SDK headers). */
export const INVOKE_ENVELOPE_BYTES = 8 * 1024;

/** Scores in an answer keep this many significant digits. */
export const SCORE_DIGITS = 6;

/** One item's row of a Distributed Map answer. */
export type MapRow =
  | { bucket: string; key: string; etag?: string; predictions: Prediction[] }
  | { bucket: string; key: string; etag?: string; error: ErrorDetail }
  /** Only when even the rows' keys do not fit: the item is known by its position. */
  | { error: ErrorDetail };

export interface MapAnswer {
  model: ModelIdentity;
  /** Present only when the rows were cut to fewer predictions than asked for, so the answer fits. */
  truncatedTopK?: number;
  results: MapRow[];
}

export const TOO_LARGE_ERROR: ErrorDetail = {
  code: "PAYLOAD_TOO_LARGE",
  message: "left out: the batch's answer must fit Step Functions' 256 KiB; send fewer items per batch",
};

export const roundScore = (score: number): number => Number(score.toPrecision(SCORE_DIGITS));

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), "utf8");

/**
 * The answer, as large as it may be and no larger than `maxBytes` (UTF-8 JSON): scores rounded to SCORE_DIGITS; if
 * that is too big, every row's predictions cut to the largest count that fits (at least one, `truncatedTopK`); if
 * still too big, scored rows from the end become PAYLOAD_TOO_LARGE errors; as a last resort rows from the end lose
 * their bucket and key too (one row per item, in item order, whatever happens).
 */
export function fitAnswer(model: ModelIdentity, rows: readonly MapRow[], maxBytes = MAX_STATE_PAYLOAD_BYTES - INVOKE_ENVELOPE_BYTES): MapAnswer {
  const rounded = rows.map((row) =>
    "predictions" in row ? { ...row, predictions: row.predictions.map((p) => ({ label: p.label, score: roundScore(p.score) })) } : row,
  );
  const full: MapAnswer = { model, results: rounded };
  if (bytes(full) <= maxBytes) return full;

  const mostPredictions = Math.max(1, ...rounded.map((row) => ("predictions" in row ? row.predictions.length : 1)));
  for (let count = mostPredictions - 1; count >= 1; count--) {
    const cut: MapAnswer = { model, truncatedTopK: count, results: rounded.map((row) => withPredictions(row, count)) };
    if (bytes(cut) <= maxBytes) return cut;
  }

  const results = rounded.map((row) => withPredictions(row, 1));
  const answer: MapAnswer = { model, ...(mostPredictions > 1 && { truncatedTopK: 1 }), results };
  let size = bytes(answer);
  for (let index = results.length - 1; index >= 0 && size > maxBytes; index--) {
    const row = results[index]!;
    if (!("predictions" in row)) continue;
    const replacement: MapRow = { bucket: row.bucket, key: row.key, error: TOO_LARGE_ERROR };
    size += bytes(replacement) - bytes(row);
    results[index] = replacement;
  }
  for (let index = results.length - 1; index >= 0 && size > maxBytes; index--) {
    const replacement: MapRow = { error: TOO_LARGE_ERROR };
    size += bytes(replacement) - bytes(results[index]);
    results[index] = replacement;
  }
  if (size > maxBytes) throw new Error(`${results.length} rows do not fit ${maxBytes} bytes even without their keys`);
  return answer;
}

function withPredictions(row: MapRow, count: number): MapRow {
  return "predictions" in row && row.predictions.length > count ? { ...row, predictions: row.predictions.slice(0, count) } : row;
}
