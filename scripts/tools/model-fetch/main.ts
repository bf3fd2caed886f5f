/**
 * npm run model:fetch -- NAME [--out DIR] [--force] [--base-url URL]
 * npm run model:fetch -- --list
 *
 * Installs an ONNX Model Zoo ImageNet classifier from scripts/tools/model-fetch/catalog.ts into a model folder.
 */
import { parseArgs } from "node:util";
import { catalog, DEFAULT_MODEL_ZOO_BASE_URL, findCatalogEntry } from "./catalog.js";
import { fetchModel } from "./fetch-model.js";
import { createProgressReporter } from "./progress.js";

const USAGE = `usage: npm run model:fetch -- NAME [--out DIR] [--force] [--base-url URL]
       npm run model:fetch -- --list

  --out DIR        model folder to install into (default: model)
  --force          download again even if DIR already holds this model
  --base-url URL   model zoo base URL (default: $MODEL_ZOO_BASE_URL or ${DEFAULT_MODEL_ZOO_BASE_URL})`;

function catalogTable(): string {
  const width = Math.max(...catalog.map((entry) => entry.name.length));
  return catalog.map((entry) => `  ${entry.name.padEnd(width)}  ${entry.summary}`).join("\n");
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: "string", default: "model" },
        force: { type: "boolean", default: false },
        "base-url": { type: "string" },
        list: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(`${USAGE}\n\nmodels:\n${catalogTable()}`);
    return 0;
  }
  if (values.list) {
    console.log(catalogTable());
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`${positionals.length === 0 ? "name a model" : "name one model"}\n\n${USAGE}\n\nmodels:\n${catalogTable()}`);
    return 2;
  }
  const name = positionals[0]!;
  const entry = findCatalogEntry(name);
  if (!entry) {
    console.error(`unknown model "${name}"; the catalog has:\n${catalogTable()}`);
    return 2;
  }

  const baseUrl = values["base-url"] ?? (process.env.MODEL_ZOO_BASE_URL || undefined);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  for (const signal of signals) process.once(signal, onSignal);
  try {
    const result = await fetchModel(entry, {
      outDir: values.out,
      baseUrl,
      force: values.force,
      signal: abort.signal,
      progress: createProgressReporter(process.stderr),
    });
    const what = result.status === "installed" ? "installed" : "already installed (use --force to download again)";
    console.log(`${entry.name}: ${what} in ${result.outDir} (model.onnx ${result.size} bytes, sha256 ${result.sha256})`);
    return 0;
  } catch (error) {
    console.error(`${entry.name}: ${(error as Error).message}`);
    return abort.signal.aborted ? 130 : 1;
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
  }
}

process.exitCode = await main(process.argv.slice(2));
