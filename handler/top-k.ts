import { ClientError } from "./errors.js";

/** top_k when the query has none: TOP_K_DEFAULT, capped at the label count. */
export const defaultTopK = (topKDefault: number, labelCount: number): number => Math.min(topKDefault, labelCount);

/**
 * The `top_k` query parameter: one integer from 1 to the number of labels. Repeated parameters reach the handler
 * comma-joined (`top_k=1&top_k=2` → "1,2") and are refused like any other non-integer.
 */
export function parseTopK(raw: string | undefined, labelCount: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const text = raw.trim();
  const value = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1 && value <= labelCount)) {
    const repeated = text.includes(",") ? " (given more than once)" : "";
    throw new ClientError("INVALID_TOP_K", `top_k must be one integer from 1 to ${labelCount}; got "${raw.slice(0, 32)}"${repeated}`);
  }
  return value;
}
