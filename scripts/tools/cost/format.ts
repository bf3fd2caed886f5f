import { type CostEstimate } from "./estimate.js";
import { PRICES_AS_OF, PRICES_REGION } from "./pricing.js";

const usd = (value: number) => `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const usdFine = (value: number) => `$${value.toFixed(4)}`;
const count = (value: number) => value.toLocaleString("en-US");
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

/** The estimate as a short plain-text report. */
export function formatEstimate(estimate: CostEstimate, durationSource: string): string {
  const { input, onDemand, provisioned } = estimate;
  const lines = [
    `Lambda ${input.architecture}, ${input.memoryMB} MB (${estimate.memoryGB.toFixed(3)} GB), ${count(input.requestsPerMonth)} requests/month`,
    `duration ${input.durationMs} ms (${durationSource}) → billed ${estimate.billedMs} ms = ${estimate.gbSecondsPerRequest.toFixed(6)} GB-s per request`,
    `prices: ${PRICES_REGION}, as of ${PRICES_AS_OF}, first tier; no free tier`,
    "",
    "on-demand",
    `  requests           ${usd(onDemand.requests).padStart(12)}`,
    `  duration           ${usd(onDemand.duration).padStart(12)}`,
    `  total / month      ${usd(onDemand.total).padStart(12)}   (${usdFine(onDemand.perMillionImages)} per million images)`,
  ];
  if (provisioned) {
    lines.push(
      "",
      `provisioned concurrency: ${provisioned.instances} instance(s) × 730 h`,
      `  capacity           ${count(provisioned.capacityRequests)} requests/month at even traffic; utilisation ${percent(provisioned.utilisation)}`,
      `  enabled            ${usd(provisioned.enabled).padStart(12)}`,
      `  duration (PC rate) ${usd(provisioned.provisionedDuration).padStart(12)}   (${count(provisioned.requestsWithinProvisioned)} requests)`,
      `  spillover duration ${usd(provisioned.spilloverDuration).padStart(12)}   (${count(provisioned.spilloverRequests)} requests at on-demand price)`,
      `  requests           ${usd(provisioned.requests).padStart(12)}`,
      `  total / month      ${usd(provisioned.total).padStart(12)}   (${usdFine(provisioned.perMillionImages)} per million images)`,
    );
  }
  lines.push(
    "",
    `provisioned concurrency is cheaper than on-demand above ${percent(estimate.provisionedBreakEvenUtilisation)} utilisation ` +
      "(even traffic assumed; bursts spill over sooner)",
  );
  return lines.join("\n");
}
