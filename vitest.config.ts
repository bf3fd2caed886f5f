import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The real-browser suite runs on its own: npm run test:browser (vitest.browser.config.ts).
    // The container image suite runs on its own too: npm run test:image (vitest.image.config.ts).
    exclude: [...configDefaults.exclude, "test/browser/**", "test/image/**"],
    globalSetup: ["test/global-setup.ts"],
    pool: "forks",
    // Two files at a time on this 2-core machine (vitest's default leaves one core to itself): most suites wait on
    // sockets and child processes, so npm test took 272 s with one fork and 179–210 s with two.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    env: { POWERTOOLS_DEV: "false", POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" },
  },
});
