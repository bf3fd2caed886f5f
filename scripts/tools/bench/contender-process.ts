import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ContenderName, ContenderReply, ContenderRequest, ContenderSample } from "./contender-protocol.js";
import type { PhaseContext } from "./phase-protocol.js";
import { tsxLoader } from "../../shared/tsx-loader.js";


const childEntry = fileURLToPath(new URL("./contender-child.ts", import.meta.url));

/** The orchestrator's handle on one contender process: one request at a time. */
export class ContenderProcess {
  private constructor(
    readonly name: ContenderName,
    private readonly child: ChildProcess,
    readonly loadMs: number,
  ) {}

  static start(name: ContenderName, context: PhaseContext, env: NodeJS.ProcessEnv): Promise<ContenderProcess> {
    const child = fork(childEntry, [JSON.stringify({ name, context })], {
      execArgv: ["--import", tsxLoader],
      env: { ...process.env, ...env },
      // The handler's request logs go to stdout: discarded, as Lambda would ship them elsewhere.
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      serialization: "json",
    });
    return new Promise((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`contender ${name} exited during start (code ${code})`)));
      child.once("message", (reply: ContenderReply) => {
        child.removeAllListeners("exit");
        if (reply.kind === "ready") resolve(new ContenderProcess(name, child, reply.loadMs));
        else reject(new Error(`contender ${name} failed to start: ${reply.kind === "error" ? reply.error : reply.kind}`));
      });
    });
  }

  private request(message: ContenderRequest): Promise<ContenderReply> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`contender ${this.name} exited (code ${code})`));
      this.child.once("exit", onExit);
      this.child.once("message", (reply: ContenderReply) => {
        this.child.off("exit", onExit);
        if (reply.kind === "error") reject(new Error(`contender ${this.name}: ${reply.error}`));
        else resolve(reply);
      });
      this.child.send(message);
    });
  }

  async run(image: number, count: number): Promise<ContenderSample[]> {
    const reply = await this.request({ kind: "run", image, count });
    if (reply.kind !== "samples") throw new Error(`contender ${this.name} answered ${reply.kind}`);
    return reply.samples;
  }

  async fill(count: number): Promise<number[]> {
    const reply = await this.request({ kind: "fill", count });
    if (reply.kind !== "fill") throw new Error(`contender ${this.name} answered ${reply.kind}`);
    return reply.samples;
  }

  stop(): void {
    if (this.child.connected) this.child.disconnect();
  }
}
