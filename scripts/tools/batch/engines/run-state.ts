import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../../../build-time/files/atomic-write.js";

/** What --resume needs to find the remote run again: a Step Functions execution or an S3 Batch Operations job. */
export type RemoteRunState =
  | { kind: "stepfunctions"; executionArn: string; stateMachineArn: string }
  | { kind: "s3-batch-operations"; jobId: string; accountId: string };

export async function readRunState(path: string): Promise<RemoteRunState | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as RemoteRunState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`cannot read the run state ${path}`, { cause: error });
  }
}

export async function writeRunState(path: string, state: RemoteRunState): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}
