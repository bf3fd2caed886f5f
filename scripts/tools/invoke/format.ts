export interface InvokeResult {
  file: string;
  status: number;
  requestId: string | undefined;
  /** Parsed JSON when the answer was JSON, else the text. */
  body: unknown;
}

interface Prediction {
  label: string;
  score: number;
}

const isRecord = (value: unknown): value is Record<string, any> => typeof value === "object" && value !== null;

function predictionTable(predictions: Prediction[]): string[] {
  const width = Math.max(5, ...predictions.map((p) => p.label.length));
  return [
    `  #  ${"label".padEnd(width)}  score`,
    ...predictions.map((p, i) => `  ${i + 1}  ${p.label.padEnd(width)}  ${p.score.toFixed(4)}`),
  ];
}

function timingsOf(body: Record<string, any>): string {
  const t = body.timings;
  if (!isRecord(t)) return "";
  const parts = [["decode", t.decodeMs], ["inference", t.inferenceMs], ["total", t.totalMs]]
    .filter(([, ms]) => typeof ms === "number")
    .map(([name, ms]) => `${name} ${(ms as number).toFixed(1)} ms`);
  return parts.join(", ");
}

/** A human-readable block for one image: the predictions as a small table, or the error. */
export function formatResult(result: InvokeResult): string {
  const { file, status, body } = result;
  if (isRecord(body) && Array.isArray(body.predictions)) {
    const model = isRecord(body.model) ? `${body.model.name} ${body.model.version}` : "";
    const details = [model, timingsOf(body)].filter(Boolean).join("; ");
    return [`${file} → ${status}${details ? ` (${details})` : ""}`, ...predictionTable(body.predictions)].join("\n");
  }
  if (isRecord(body) && Array.isArray(body.results)) {
    const lines = [`${file} → ${status} (${body.results.length} results)`];
    body.results.forEach((item: any, index: number) => {
      lines.push(` [${index}]`);
      if (Array.isArray(item?.predictions)) lines.push(...predictionTable(item.predictions));
      else lines.push(`  error ${item?.error?.code}: ${item?.error?.message}`);
    });
    return lines.join("\n");
  }
  if (isRecord(body) && isRecord(body.error)) {
    const requestId = result.requestId ? ` (request ${result.requestId})` : "";
    return `${file} → ${status} ${body.error.code}: ${body.error.message}${requestId}`;
  }
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return `${file} → ${status} ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`;
}
