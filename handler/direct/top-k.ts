import { parseTopK } from "../top-k.js";

/** `topK` of a direct event (a number, or a numeric string), checked like the URL's `top_k`: INVALID_TOP_K. */
export function topKOf(value: number | string | undefined, labelCount: number, fallback: number): number {
  return parseTopK(value === undefined ? undefined : String(value), labelCount, fallback);
}
