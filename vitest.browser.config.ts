import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/** `npm run test:browser`: the page in Debian's Chromium against the local function URL (slow; not in `npm test`). */
export default defineConfig({
  test: {
    ...base.test,
    include: ["test/browser/**/*.test.ts"],
    exclude: [],
    // One server and one browser; the suites share the machine's two cores with nothing else of theirs.
    fileParallelism: false,
    testTimeout: 120_000,
  },
});
