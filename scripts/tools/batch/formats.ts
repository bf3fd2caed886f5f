import { type BatchRecord, recordIdentity } from "./record.js";

export type FormatName = "jsonl" | "csv";

/** One complete line of an existing output. */
export interface OutputLine {
  /** The line as it was written, end of line included. */
  text: string;
  /** The input it records; undefined for a line that is not one of ours (or the CSV header). */
  identity?: string;
  /** The error code of an error line. */
  errorCode?: string;
}

/** What --resume learns from an existing output: its complete lines, the inputs they record, and where they end. */
export interface ExistingOutput {
  identities: Set<string>;
  /** Every complete line in order (the CSV header included), so that the output can be rewritten without some. */
  lines: OutputLine[];
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
    const lines: OutputLine[] = [];
    const completeLength = text.lastIndexOf("\n") + 1;
    for (const line of text.slice(0, completeLength).split("\n").slice(0, -1)) {
      const read: OutputLine = { text: `${line}\n` };
      lines.push(read);
      if (!line.trim()) continue;
      try {
        const record = JSON.parse(line) as Record<string, unknown>;
        read.identity = recordIdentity(record);
        read.errorCode = errorCodeOf(record.error);
        if (read.identity) identities.add(read.identity);
      } catch {
        // A line that is not JSON is not an output of ours: it marks no input as done.
      }
    }
    return { identities, lines, completeLength };
  },
};

function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" && code !== "" ? code : undefined;
}

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
      const { rows, ends, completeLength } = parseRfc4180(text);
      const identities = new Set<string>();
      const lines: OutputLine[] = rows.map((_, i) => ({ text: text.slice(i === 0 ? 0 : ends[i - 1], ends[i]) }));
      const [head, ...body] = rows.map((row) => row.map(unguard));
      if (!head) return { identities, lines, completeLength };
      body.forEach((row, i) => {
        const record: Record<string, string> = {};
        head.forEach((column, j) => (record[column] = row[j] ?? ""));
        const identity = recordIdentity(record);
        lines[i + 1]!.identity = identity;
        lines[i + 1]!.errorCode = record.error_code || undefined;
        if (identity) identities.add(identity);
      });
      return { identities, lines, completeLength, header: `${head.join(",")}\n` };
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

/** RFC 4180 rows of complete records, each with the offset just past its end of line. */
function parseRfc4180(text: string): { rows: string[][]; ends: number[]; completeLength: number } {
  const rows: string[][] = [];
  const ends: number[] = [];
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
      ends.push(i + 1);
      row = [];
      field = "";
      wasQuoted = false;
      completeLength = i + 1;
    } else field += char;
  }
  return { rows, ends, completeLength };
}
