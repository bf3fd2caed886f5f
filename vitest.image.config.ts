import { defineConfig } from "vitest/config";

// npm run test:image: builds the function image with podman (the first build of the stand-in base takes minutes) and
// runs it under the Runtime API emulator. Not part of npm test.
export default defineConfig({
  test: {
    include: ["test/image/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 15 * 60_000,
    env: { POWERTOOLS_DEV: "false", POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" },
  },
});
