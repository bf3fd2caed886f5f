import { type BatchRecord, recordIdentity } from "./record.js";

export type FormatName = "jsonl" | "csv";

/** What --resume learns from an existing output: the inputs already done, and the text up to the last whole line. */
export interface ExistingOutput {
  identities: Set<string>;
  /** Length in characters of the complete lines; a torn last line (a crash mid-write) is past this point. */
  completeLength: number;
  /** The CSV header found, if any. */
  header?: string;
}

export interface OutputFormat {
  name: FormatName;
  /** Written once at the top of a new output. */
  header: string | undefined;
  line(record: BatchRecord): string;
  readExisting(text: string): ExistingOutput;
}

export function formatForPath(path: string): FormatName | undefined {
  if (/\.jsonl$|\.ndjson$/i.test(path)) return "jsonl";
  if (/\.csv$/i.test(path)) return "csv";
  return undefined;
}

export function createFormat(name: FormatName, inputKind: "s3" | "file", topK: number): OutputFormat {
  return name === "jsonl" ? jsonl : csvFormat(inputKind, topK);
}

const jsonl: OutputFormat = {
  name: "jsonl",
  header: undefined,
  line: (record) => `${JSON.stringify(record)}\n`,
  readExisting(text) {
    const identities = new Set<string>();
    const completeLength = text.lastIndexOf("\n") + 1;
    for (const line of text.slice(0, completeLength).split("\n")) {
      if (!line.trim()) continue;
      try {
        const identity = recordIdentity(JSON.parse(line));
        if (identity) identities.add(identity);
      } catch {
        // A line that is not JSON is not an output of ours: it marks no input as done.
      }
    }
    return { identities, completeLength };
  },
};

function csvFormat(inputKind: "s3" | "file", topK: number): OutputFormat {
  const where = inputKind === "s3" ? ["bucket", "key", "etag"] : ["path", "mtime"];
  const predictionColumns = Array.from({ length: topK }, (_, i) => [`label_${i + 1}`, `score_${i + 1}`]).flat();
  const columns = [...where, "size", "model_name", "model_version", "latency_ms", "error_code", "error_message", ...predictionColumns];
  const header = `${columns.join(",")}\n`;
  return {
    name: "csv",
    header,
    line(record) {
      const fields = record as Record<string, unknown>;
      const predictions = (record.predictions ?? []).slice(0, topK).flatMap((p) => [p.label, p.score]);
      while (predictions.length < predictionColumns.length) predictions.push("");
      const values = [
        ...where.map((column) => fields[column]),
        record.size,
        record.model?.name,
        record.model?.version,
        record.latencyMs,
        record.error?.code,
        record.error?.message,
        ...predictions,
      ];
      return `${values.map(csvField).join(",")}\n`;
    },
    readExisting(text) {
      const { rows, completeLength } = parseCsv(text);
      const identities = new Set<string>();
      const [head, ...body] = rows;
      if (!head) return { identities, completeLength };
      for (const row of body) {
        const record: Record<string, string> = {};
        head.forEach((column, i) => (record[column] = row[i] ?? ""));
        const identity = recordIdentity(record);
        if (identity) identities.add(identity);
      }
      return { identities, completeLength, header: `${head.join(",")}\n` };
    },
  };
}

/**
 * Text a spreadsheet would run as a formula (OWASP CSV injection: = + - @ tab CR), or that starts with the quote
 * this guard adds (so reading it back is unambiguous).
 */
const formulaLead = /^[=+\-@\t\r']/;

function csvField(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = String(value);
  // Strings only: numbers (scores, sizes) are never formulas and stay numbers.
  if (typeof value === "string" && formulaLead.test(text)) return `"'${text.replaceAll('"', '""')}"`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Undoes csvField's formula guard: `'=x` → `=x`, `''x` → `'x`; anything else is as written. */
const unguard = (field: string) => (field.startsWith("'") && formulaLead.test(field.slice(1)) ? field.slice(1) : field);

/**
 * RFC 4180 rows of complete records only (a record ends at a newline outside quotes), with the formula guard that
 * this tool's CSV writer adds removed, so every field reads back as the value that was written.
 */
export function parseCsv(text: string): { rows: string[][]; completeLength: number } {
  const { rows, completeLength } = parseRfc4180(text);
  return { rows: rows.map((row) => row.map(unguard)), completeLength };
}

function parseRfc4180(text: string): { rows: string[][]; completeLength: number } {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let wasQuoted = false;
  let completeLength = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = wasQuoted = true;
    else if (char === ",") {
      row.push(field);
      field = "";
      wasQuoted = false;
    } else if (char === "\n") {
      row.push(!wasQuoted && field.endsWith("\r") ? field.slice(0, -1) : field);
      rows.push(row);
      row = [];
      field = "";
      wasQuoted = false;
      completeLength = i + 1;
    } else field += char;
  }
  return { rows, completeLength };
}
