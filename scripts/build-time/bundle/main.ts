import { relative } from "node:path";
import { parseArgs } from "node:util";
import { buildLambda, projectDir } from "./build-lambda.js";
import { lambdaGlibc } from "./native-binaries.js";
import { formatSizeReport } from "./size-report.js";
import { parseArch } from "./target-platform.js";
import { typecheck } from "./typecheck.js";

const usage = `npm run build -- [--arch x64|arm64] [--out DIR] [--model DIR] [--no-typecheck] [--no-minify]
                    [--sourcemap] [--max-mb N]
Builds the Lambda task root (default build/lambda): bundle, model and production node_modules for linux-<arch>.`;

const { values } = parseArgs({
  options: {
    arch: { type: "string", default: "x64" },
    out: { type: "string" },
    model: { type: "string" },
    "no-typecheck": { type: "boolean", default: false },
    "no-minify": { type: "boolean", default: false },
    sourcemap: { type: "boolean", default: false },
    "max-mb": { type: "string", default: "90" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log(usage);
  process.exit(0);
}

try {
  const arch = parseArch(values.arch);
  const maxBytes = Number(values["max-mb"]) * 1e6;
  if (!Number.isFinite(maxBytes) || maxBytes <= 0) throw new Error(`--max-mb must be a positive number`);

  const started = performance.now();
  if (!values["no-typecheck"]) {
    console.log("type check: tsc -p .");
    await typecheck(projectDir);
  }
  const result = await buildLambda({
    arch,
    outDir: values.out,
    modelDir: values.model,
    minify: !values["no-minify"],
    sourcemap: values.sourcemap ? "linked" : "none",
  });

  const fetched = result.packages.filter((p) => p.fetched).map((p) => `${p.name}@${p.version}`);
  console.log(`packages: ${result.packages.map((p) => `${p.name}@${p.version}`).join(", ")}`);
  if (fetched.length > 0) console.log(`fetched for linux-${arch}: ${fetched.join(", ")}`);
  console.log(`native binaries (linux-${arch}, glibc ≤ ${lambdaGlibc}):`);
  for (const binary of result.nativeBinaries) console.log(`  ${binary.path}  (needs glibc ${binary.glibc ?? "-"})`);
  console.log(formatSizeReport(result.sizes, `${relative(process.cwd(), result.outDir) || "."} (linux-${arch})`));
  console.log(`built in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  if (result.sizes.totalBytes > maxBytes) {
    throw new Error(`task root is ${(result.sizes.totalBytes / 1e6).toFixed(1)} MB, over the ${values["max-mb"]} MB budget`);
  }
} catch (error) {
  console.error(`build failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
