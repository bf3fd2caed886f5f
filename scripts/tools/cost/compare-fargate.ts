import {
  averagePerRps,
  breakEvenRps,
  fargateCurve,
  lambdaOnDemandCurve,
  lambdaProvisionedCurve,
  type SteppedCost,
} from "./break-even.js";
import { checkService, estimateFargateCost, type FargateCost, type FargateService, tasksFor } from "./fargate-estimate.js";
import { estimateLambdaProfile, type LambdaFunction, type LambdaProfileCost } from "./lambda-profile.js";
import { SECONDS_PER_MONTH } from "./pricing.js";
import { peakRps, requestsPerMonth, type TrafficProfile } from "./traffic-profile.js";

export interface FargateComparisonInput {
  profile: TrafficProfile;
  lambda: LambdaFunction;
  /** Provisioned instances all month; undefined = sized for the peak hour. */
  provisioned?: number;
  service: FargateService;
}

export type Option = "Lambda on demand" | "Lambda provisioned" | "Fargate + ALB";

export interface BreakEven {
  /** Steady requests/s above which Fargate stays cheaper; undefined = at no steady rate. */
  rps?: number;
  requestsPerMonth?: number;
  /** Tasks running at that rate. */
  tasks?: number;
}

export interface FargateComparison {
  input: FargateComparisonInput;
  requestsPerMonth: number;
  peakRps: number;
  lambda: LambdaProfileCost;
  fargate: FargateCost;
  cheapest: Option;
  breakEven: { onDemand: BreakEven; provisioned: BreakEven };
  /** What one more steady request/s adds a month on average (tasks and instances amortised). */
  perRpsMonth: Record<Option, number>;
}

function breakEven(lambda: SteppedCost, fargate: SteppedCost, service: FargateService): BreakEven {
  const rps = breakEvenRps(lambda, fargate);
  if (rps === undefined) return {};
  return { rps, requestsPerMonth: rps * SECONDS_PER_MONTH, tasks: tasksFor(rps, service) };
}

/** Lambda on demand, Lambda with provisioned concurrency and Fargate behind an ALB for one traffic profile. */
export function compareWithFargate(input: FargateComparisonInput): FargateComparison {
  checkService(input.service);
  const lambda = estimateLambdaProfile(input.profile, input.lambda, input.provisioned);
  const fargate = estimateFargateCost(input.profile, input.service);
  const totals: [Option, number][] = [
    ["Lambda on demand", lambda.onDemand.total],
    ["Lambda provisioned", lambda.provisioned.total],
    ["Fargate + ALB", fargate.total],
  ];
  const cheapest = totals.reduce((best, option) => (option[1] < best[1] ? option : best))[0];
  const curves: Record<Option, SteppedCost> = {
    "Lambda on demand": lambdaOnDemandCurve(input.lambda),
    "Lambda provisioned": lambdaProvisionedCurve(input.lambda),
    "Fargate + ALB": fargateCurve(input.service, input.profile.requestBytes + input.profile.responseBytes, input.profile.requestsPerConnection),
  };
  return {
    input,
    requestsPerMonth: requestsPerMonth(input.profile),
    peakRps: peakRps(input.profile),
    lambda,
    fargate,
    cheapest,
    breakEven: {
      onDemand: breakEven(curves["Lambda on demand"], curves["Fargate + ALB"], input.service),
      provisioned: breakEven(curves["Lambda provisioned"], curves["Fargate + ALB"], input.service),
    },
    perRpsMonth: {
      "Lambda on demand": averagePerRps(curves["Lambda on demand"]),
      "Lambda provisioned": averagePerRps(curves["Lambda provisioned"]),
      "Fargate + ALB": averagePerRps(curves["Fargate + ALB"]),
    },
  };
}
