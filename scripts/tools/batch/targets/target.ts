import type { InputItem } from "../inputs.js";
import type { ModelId, ScoreResult } from "../record.js";

/** Where images are scored: the in-process worker pool or a function URL. */
export interface Target {
  readonly description: string;
  /** The model, when known before the first answer (for error lines). */
  model(): ModelId | null;
  /** Whether `score` needs the bytes (false = the target reads S3 itself). */
  readonly needsBytes: boolean;
  score(item: InputItem, bytes: Uint8Array | undefined): Promise<ScoreResult>;
  close(): Promise<void>;
}
