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
  const { code } = outcome.error;
  let message = outcome.error.message;
  let text = JSON.stringify({ error: { code, message } });
  while (bytes(text) > MAX_RESULT_STRING_BYTES && message.length > 0) {
    message = message.slice(0, -(bytes(text) - MAX_RESULT_STRING_BYTES) - 2);
    text = JSON.stringify({ error: { code, message: `${message}…` } });
  }
  return text;
}
