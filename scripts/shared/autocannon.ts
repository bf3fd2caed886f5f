import { createRequire } from "node:module";
import type autocannonType from "autocannon";

/** autocannon is CommonJS; loaded through require so its typings (@types/autocannon) apply as published. */
export const autocannon = createRequire(import.meta.url)("autocannon") as typeof autocannonType;
