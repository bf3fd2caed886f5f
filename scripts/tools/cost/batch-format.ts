import type { BatchComparison, BatchJobCost } from "./batch-estimate.js";
import { PRICES_AS_OF, PRICES_REGION } from "./pricing.js";

const usd = (value: number) => `$${value.toFixed(value >= 100 ? 2 : 4)}`;
const count = (value: number) => value.toLocaleString("en-US");
const pad = (cells: string[], widths: number[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[i]!))).join("  ");

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((_, i) => Math.max(head[i]!.length, ...rows.map((row) => row[i]!.length)));
  return [pad(head, widths), ...rows.map((row) => pad(row, widths))];
}

/** The batch job at N images per invocation beside one image per invocation, as a plain-text report. */
export function formatBatchComparison(comparison: BatchComparison, durationSource: string): string {
  const { batchSize, architectures } = comparison;
  const first = comparison.batched[architectures[0]!]!;
  const firstSingle = comparison.single[architectures[0]!]!;
  const { input } = first;
  const jobs: [string, BatchJobCost][] = [
    [`${batchSize} / invocation`, first],
    ["1 / invocation", firstSingle],
  ];
  const lines = [
    `Batch job: ${count(input.images)} images through a Step Functions Distributed Map (${input.childExecutionType} child executions, ` +
      `items from ${input.source === "listing" ? "ListObjectsV2 over a prefix" : "one manifest"}), Lambda ${input.memoryMB} MB`,
    `duration per invocation: ${durationSource}`,
    `prices: ${PRICES_REGION}, as of ${PRICES_AS_OF}, first tier; no free tier, no data transfer (same region)`,
    "",
    ...table(
      ["", ...jobs.map(([name]) => name)],
      [
        ["Lambda invocations", ...jobs.map(([, job]) => count(job.invocations))],
        ["billed ms / invocation", ...jobs.map(([, job]) => count(job.lambda.billedMs))],
        ["Lambda GB-seconds", ...jobs.map(([, job]) => count(Math.round(job.lambda.gbSeconds)))],
        ["Step Functions transitions", ...jobs.map(([, job]) => count(job.stepFunctions.transitions))],
        ...(input.childExecutionType === "EXPRESS"
          ? [["EXPRESS executions", ...jobs.map(([, job]) => count(job.stepFunctions.expressRequests))]]
          : []),
        ["S3 LIST / GET / PUT", ...jobs.map(([, job]) => `${count(job.s3.lists)} / ${count(job.s3.gets)} / ${count(job.s3.puts)}`)],
      ],
    ),
    "",
  ];
  const columns = architectures.flatMap((arch) => [
    [`${batchSize} / inv. ${arch}`, comparison.batched[arch]!] as const,
    [`1 / inv. ${arch}`, comparison.single[arch]!] as const,
  ]);
  lines.push(
    ...table(
      ["USD", ...columns.map(([name]) => name)],
      [
        ["Lambda requests", ...columns.map(([, job]) => usd(job.lambda.requests))],
        ["Lambda duration", ...columns.map(([, job]) => usd(job.lambda.duration))],
        ["Step Functions", ...columns.map(([, job]) => usd(job.stepFunctions.total))],
        ["S3 requests", ...columns.map(([, job]) => usd(job.s3.total))],
        ["total", ...columns.map(([, job]) => usd(job.total))],
        ["per million images", ...columns.map(([, job]) => usd(job.perMillionImages))],
      ],
    ),
    "",
    ...architectures.map((arch) => {
      const ratio = comparison.cheaperBy[arch]!;
      const lambdaRatio = comparison.single[arch]!.lambda.total / comparison.batched[arch]!.lambda.total;
      return `${arch}: ${batchSize} images per invocation costs ${ratio.toFixed(2)}× less per image than 1 (Lambda alone ${lambdaRatio.toFixed(2)}×)`;
    }),
  );
  if (input.childExecutionType === "STANDARD") {
    lines.push("STANDARD children: 1 transition per child started + 2 of its own; each Lambda retry adds one (not modelled).");
  }
  return lines.join("\n");
}
