import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleCode, externalPackages, runtimePackageRoots } from "./bundle-code.js";
import { copyModelFiles } from "./model-files.js";
import { assertNativeBinariesFor, type NativeBinary } from "./native-binaries.js";
import { assembleRuntimeModules, type CopiedPackage } from "./runtime-modules.js";
import { measureTaskRoot, type SizeReport } from "./size-report.js";
import { targetPlatform, type LambdaArch } from "./target-platform.js";

export const projectDir = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/** The image's task root, relative to the project; the Dockerfile copies it from the build stage. */
export const defaultOutDir = "build/lambda";
/** The bundle's file name and export: together they are the image's `CMD ["index.handler"]`. */
export const bundleFile = "index.mjs";
export const handlerExport = "handler";
/** The production HTTP entry (`node server.mjs`, handler/server/) and its worker threads' module, beside index.mjs. */
export const serverBundleFile = "server.mjs";
export const serverWorkerBundleFile = "server-worker.mjs";

export interface BuildLambdaOptions {
  arch: LambdaArch;
  /** Task root to (re)create; default `<project>/build/lambda`. */
  outDir?: string;
  entry?: string;
  modelDir?: string;
  minify?: boolean;
  sourcemap?: "linked" | "none";
  /** Where packages for another architecture than this machine's are cached. */
  cacheDir?: string;
}

export interface BuildLambdaResult {
  outDir: string;
  arch: LambdaArch;
  /** What `index.mjs` exports; must include `handler`. */
  exports: string[];
  packages: CopiedPackage[];
  nativeBinaries: NativeBinary[];
  modelFiles: string[];
  sizes: SizeReport;
}

/** Assembles the Lambda task root: bundle, model, production node_modules for one architecture. */
export async function buildLambda(options: BuildLambdaOptions): Promise<BuildLambdaResult> {
  const outDir = resolve(options.outDir ?? join(projectDir, defaultOutDir));
  const target = targetPlatform(options.arch);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  const bundles = [
    [options.entry ?? join(projectDir, "handler/index.ts"), bundleFile],
    [join(projectDir, "handler/server/server-entry.ts"), serverBundleFile],
    [join(projectDir, "handler/server/worker.ts"), serverWorkerBundleFile],
  ] as const;
  const [bundle, ...serverBundles] = await Promise.all(
    bundles.map(([entry, file]) =>
      bundleCode({ entry, outfile: join(outDir, file), minify: options.minify ?? true, sourcemap: options.sourcemap ?? "none" }),
    ),
  );
  for (const built of [bundle!, ...serverBundles]) {
    const unexpected = built.externalImports.filter((name) => !(externalPackages as readonly string[]).includes(name));
    if (unexpected.length > 0) throw new Error(`bundle imports packages that are not shipped: ${unexpected.join(", ")}`);
  }
  if (!bundle!.exports.includes(handlerExport)) {
    throw new Error(`${bundleFile} does not export "${handlerExport}" (exports: ${bundle!.exports.join(", ") || "none"})`);
  }

  const modelFiles = await copyModelFiles(options.modelDir ?? join(projectDir, "model"), join(outDir, "model"));

  const packages = await assembleRuntimeModules({
    projectDir,
    taskRoot: outDir,
    packages: runtimePackageRoots,
    target,
    cacheDir: options.cacheDir ?? join(projectDir, "build/.cache/packages"),
  });
  const nativeBinaries = await assertNativeBinariesFor(join(outDir, "node_modules"), options.arch);

  const versions = Object.fromEntries(
    packages.filter((p) => (runtimePackageRoots as readonly string[]).includes(p.name)).map((p) => [p.name, p.version]),
  );
  const taskRootPackage = { name: "lambda-task-root", private: true, type: "module", dependencies: versions };
  await writeFile(join(outDir, "package.json"), `${JSON.stringify(taskRootPackage, null, 2)}\n`);

  return { outDir, arch: options.arch, exports: bundle!.exports, packages, nativeBinaries, modelFiles, sizes: await measureTaskRoot(outDir) };
}
