// npm run image:build -- --local [--arch x64|arm64] [--tag TAG]: builds the project's Dockerfile with podman on the
// local stand-in for the Lambda Node.js base image (scripts/shared/container/local-image.ts).
// npm run image:build -- TAG [x64|arm64] [docker buildx flags…]: without --local, the docker buildx build of main.sh.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { buildLocalImage } from "../../shared/container/local-image.js";
import { parseLocalArgs } from "./local-args.js";

const argv = process.argv.slice(2);

if (argv.includes("--local")) {
  let parsed: ReturnType<typeof parseLocalArgs>;
  try {
    parsed = parseLocalArgs(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\nusage: npm run image:build -- --local [--arch x64|arm64] [--tag TAG]`);
    process.exit(2);
  }
  const log = (line: string) => console.error(line);
  const { ref, seconds } = await buildLocalImage({ ...parsed, log });
  console.log(`${ref} built in ${seconds.toFixed(1)} s`);
} else {
  const script = fileURLToPath(new URL("main.sh", import.meta.url));
  const result = spawnSync(script, argv, { stdio: "inherit" });
  process.exit(result.status ?? 1);
}
