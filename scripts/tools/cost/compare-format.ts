import type { BreakEven, FargateComparison, Option } from "./compare-fargate.js";
import { CPU_UNITS_PER_VCPU, FARGATE_PRICES_AS_OF } from "./fargate-pricing.js";
import { PRICES_AS_OF, PRICES_REGION } from "./pricing.js";
import { isFlat } from "./traffic-profile.js";

const usd = (value: number) => `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const usdFine = (value: number) => `$${value.toFixed(4)}`;
const count = (value: number) => Math.round(value).toLocaleString("en-US");
const rate = (value: number) => Number(value.toFixed(2)).toLocaleString("en-US");
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const bytes = (value: number) => `${value.toLocaleString("en-US")} B`;

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 || i === row.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ").trimEnd());
}

function breakEvenLine(against: string, found: BreakEven, fargatePerRps: number, lambdaPerRps: number): string {
  const head = `  Fargate + ALB vs ${against}`.padEnd(42);
  if (found.rps === undefined) {
    return (
      `${head}never: a steady request/s costs ${usd(fargatePerRps)} a month on Fargate + ALB ` +
      `and ${usd(lambdaPerRps)} on ${against}`
    );
  }
  return `${head}cheaper at every rate above ${rate(found.rps)} requests/s (${count(found.requestsPerMonth!)} requests/month, ${found.tasks} tasks)`;
}

/** The comparison as a plain-text report. */
export function formatFargateComparison(comparison: FargateComparison, sources: { duration: string; throughput: string }): string {
  const { input, lambda, fargate } = comparison;
  const { profile, service } = input;
  const fn = input.lambda;
  const vcpus = service.taskCpuUnits / CPU_UNITS_PER_VCPU;
  const hourly = profile.hourlyRps;
  const peakHour = hourly.indexOf(comparison.peakRps);
  const lowest = Math.min(...hourly);
  const traffic = isFlat(profile)
    ? `flat ${rate(hourly[0]!)} requests/s`
    : `by hour of day: peak ${rate(comparison.peakRps)} requests/s at ${peakHour}:00, lowest ${rate(lowest)} at ${hourly.indexOf(lowest)}:00`;
  const provisioned = lambda.provisioned;
  const lines = [
    `Traffic: ${traffic}; ${count(comparison.requestsPerMonth)} requests/month; ` +
      `${bytes(profile.requestBytes)} in + ${bytes(profile.responseBytes)} out per request, ` +
      `${profile.requestsPerConnection ?? 1} per connection`,
    `Lambda ${fn.architecture}, ${fn.memoryMB} MB, ${fn.durationMs} ms per request (${sources.duration}) → billed ${lambda.billedMs} ms`,
    `Fargate ${service.architecture}, task ${vcpus} vCPU / ${service.taskMemoryMB} MB (${usdFine(fargate.taskHourly)} an hour), ` +
      `${rate(service.taskRps)} requests/s at 100% (${sources.throughput})`,
    `  scaled to ${percent(service.targetUtilization)} = ${rate(service.taskRps * service.targetUtilization)} requests/s per task, ` +
      `at least ${service.minTasks} tasks; behind an Application Load Balancer`,
    `prices: ${PRICES_REGION}; Lambda as of ${PRICES_AS_OF}, Fargate and ALB as of ${FARGATE_PRICES_AS_OF}; first tier, no free tier, no data transfer`,
    "",
    ...table([
      ["USD a month", "total", "per million", ""],
      [
        "Lambda on demand",
        usd(lambda.onDemand.total),
        usdFine(lambda.onDemand.perMillionImages),
        `requests ${usd(lambda.onDemand.requests)}, duration ${usd(lambda.onDemand.duration)}`,
      ],
      [
        `Lambda provisioned × ${provisioned.instances}`,
        usd(provisioned.total),
        usdFine(provisioned.perMillionRequests),
        `enabled ${usd(provisioned.enabled)}, duration ${usd(provisioned.provisionedDuration)}, ` +
          `spillover ${usd(provisioned.spilloverDuration)} (${count(provisioned.spilloverRequests)} requests), requests ${usd(provisioned.requests)}`,
      ],
      [
        "Fargate + ALB",
        usd(fargate.total),
        usdFine(fargate.perMillionRequests),
        `tasks ${usd(fargate.tasks)} (${count(fargate.taskHours)} task-hours), load balancer ${usd(fargate.loadBalancerHours)} ` +
          `+ ${usd(fargate.loadBalancerCapacity)} for ${count(fargate.lcuHours)} LCU-hours`,
      ],
    ]),
    "",
    `provisioned: ${provisioned.instances} instance(s) ${provisioned.sizedForPeak ? "sized for the peak hour (requests/s × billed duration, rounded up)" : "given with --provisioned"}, ` +
      `utilisation ${percent(provisioned.utilisation)}`,
    `tasks by hour 0–23: ${fargate.hourlyTasks.join(" ")}; utilisation ${percent(fargate.utilisation)} of their capacity`,
    `cheapest for this traffic: ${comparison.cheapest}`,
    "",
    "Break-even at steady traffic (same function, task size, target and minimum; solved exactly between price steps):",
    breakEvenLine("Lambda on demand", comparison.breakEven.onDemand, comparison.perRpsMonth["Fargate + ALB"], comparison.perRpsMonth["Lambda on demand"]),
    breakEvenLine(
      "Lambda provisioned",
      comparison.breakEven.provisioned,
      comparison.perRpsMonth["Fargate + ALB"],
      comparison.perRpsMonth["Lambda provisioned"],
    ),
    `  one more steady request/s a month: ${(Object.entries(comparison.perRpsMonth) as [Option, number][])
      .map(([option, cost]) => `${option} ${usd(cost)}`)
      .join(", ")}`,
  ];
  return lines.join("\n");
}
