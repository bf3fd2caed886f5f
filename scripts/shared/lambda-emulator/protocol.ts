/** Messages between the server and one execution environment (a child process), over Node's IPC channel. */
export interface InvokeMessage {
  type: "invoke";
  requestId: string;
  /** The serialised event: what Lambda hands its runtime is JSON text, parsed inside the environment. */
  eventPayload: string;
  /** Epoch milliseconds at which the invocation times out. */
  deadlineMs: number;
}

export type EnvironmentMessage =
  | { type: "ready"; initDurationMs: number }
  | { type: "init-error"; errorType: string; errorMessage: string }
  | { type: "result"; requestId: string; payload: string; durationMs: number; maxMemoryUsedMB: number }
  | {
      type: "error";
      requestId: string;
      errorType: string;
      errorMessage: string;
      durationMs: number;
      maxMemoryUsedMB: number;
    };
