import type { ItemOutcome } from "./object-scorer.js";
import { roundScore } from "./answer-size.js";

/** S3 Batch Operations keeps at most this much of a task's resultString (it truncates longer ones). */
export const MAX_RESULT_STRING_BYTES = 1024;

const bytes = (text: string): number => Buffer.byteLength(text, "utf8");

/**
 * A task's resultString: compact `{"predictions":[…]}` or `{"error":{"code","message"}}`, at most
 * MAX_RESULT_STRING_BYTES: predictions are cut from the least likely, an error's message is shortened.
 */
export function resultString(outcome: ItemOutcome): string {
  if (outcome.ok) {
    const predictions = outcome.predictions.map((p) => ({ label: p.label, score: roundScore(p.score) }));
    for (let count = predictions.length; count >= 1; count--) {
      const text = JSON.stringify({ predictions: predictions.slice(0, count) });
      if (bytes(text) <= MAX_RESULT_STRING_BYTES) return text;
    }
    return JSON.stringify({ predictions: [] });
  }
  const { code, message } = outcome.error;
  const text = JSON.stringify({ error: { code, message } });
  if (bytes(text) <= MAX_RESULT_STRING_BYTES) return text;
  const room = MAX_RESULT_STRING_BYTES - bytes(JSON.stringify({ error: { code, message: "…" } }));
  return JSON.stringify({ error: { code, message: `${prefixWithin(message, room)}…` } });
}

/** The longest start of `text` whose JSON-escaped UTF-8 takes at most `maxBytes`. */
function prefixWithin(text: string, maxBytes: number): string {
  let used = 0;
  let end = 0;
  for (const char of text) {
    const cost = bytes(JSON.stringify(char)) - 2;
    if (used + cost > maxBytes) break;
    used += cost;
    end += char.length;
  }
  return text.slice(0, end);
}
