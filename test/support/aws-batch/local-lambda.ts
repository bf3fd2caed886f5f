import { fileURLToPath } from "node:url";
import { ExecutionEnvironment } from "../../../scripts/shared/lambda-emulator/environment.js";
import { EnvironmentPool } from "../../../scripts/shared/lambda-emulator/pool.js";

const handlerModule = fileURLToPath(new URL("../../../handler/index.ts", import.meta.url));

export type InvokeResult = { ok: true; payload: unknown } | { ok: false; error: string; cause: string };

/** Decides to fail an invocation before it reaches the function: the Lambda error name to answer, or undefined. */
export type LambdaFault = (payload: unknown) => string | undefined;

/**
 * The REAL function (handler/index.ts) in the lambda emulator's execution environments: what the state machine's
 * `lambda:invoke` and Batch Operations' LambdaInvoke reach. `fault` lets a test throttle chosen invocations.
 */
export class LocalLambda {
  /** Payloads that reached the function, in arrival order. */
  readonly delivered: unknown[] = [];
  /** Invocations answered by `fault` instead of the function. */
  refused = 0;
  fault: LambdaFault | undefined;
  private nextId = 1;

  private constructor(private readonly pool: EnvironmentPool) {}

  static async start(env: NodeJS.ProcessEnv, concurrency: number): Promise<LocalLambda> {
    const pool = new EnvironmentPool(concurrency, () =>
      ExecutionEnvironment.start({ handlerModule, handlerExport: "handler", env, output: "ignore" }),
    );
    await pool.start();
    return new LocalLambda(pool);
  }

  async invoke(payload: unknown): Promise<InvokeResult> {
    const injected = this.fault?.(payload);
    if (injected) {
      this.refused++;
      return { ok: false, error: injected, cause: "Rate Exceeded. (injected by the test endpoint)" };
    }
    this.delivered.push(payload);
    const outcome = await this.pool.invoke(`local-${this.nextId++}`, JSON.stringify(payload), 60_000);
    if (outcome.kind === "result") return { ok: true, payload: JSON.parse(outcome.payload) as unknown };
    if (outcome.kind === "error") return { ok: false, error: outcome.errorType, cause: JSON.stringify({ errorType: outcome.errorType, errorMessage: outcome.errorMessage }) };
    return { ok: false, error: "Lambda.Unknown", cause: `the execution environment ended: ${outcome.kind}` };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
