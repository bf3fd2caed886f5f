import { builtinModules } from "node:module";
import { build, type Metafile, type Plugin } from "esbuild";

/**
 * Packages with native add-ons stay in node_modules; everything else is bundled. onnxruntime-common is external
 * too: onnxruntime-node requires it at run time, and a second bundled copy would register backends and `Tensor`
 * in a different instance.
 */
export const externalPackages = ["onnxruntime-node", "onnxruntime-common", "sharp"] as const;

/** Packages whose folders the task root's node_modules must contain (the roots of the copy). */
export const runtimePackageRoots = ["onnxruntime-node", "sharp"] as const;

/** Bundled CommonJS dependencies call `require`, which ES modules lack. */
const requireBanner =
  'import { createRequire as __bundleCreateRequire } from "node:module";' +
  "const require = __bundleCreateRequire(import.meta.url);";

/**
 * Loads the external packages with `require` instead of `import`: both are CommonJS (sharp also ships an ESM build),
 * and Node's ESM loader costs more at cold start than `require` (measured on Node 20: onnxruntime-node + sharp
 * ≈ 170 ms CPU through `import`, ≈ 65 ms through `require`). `import sharp from "sharp"` in the source becomes a
 * tiny CommonJS module `module.exports = require("sharp")`, whose `require` stays external.
 */
const requireExternals: Plugin = {
  name: "require-externals",
  setup(pluginBuild) {
    const names = new RegExp(`^(${externalPackages.map((name) => name.replace(/[-/]/g, "\\$&")).join("|")})$`);
    pluginBuild.onResolve({ filter: names }, (args) =>
      args.namespace === "require-external" ? { path: args.path, external: true } : { path: args.path, namespace: "require-external" },
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: "require-external" }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: "js",
    }));
  },
};

export interface BundleCodeOptions {
  entry: string;
  outfile: string;
  minify: boolean;
  sourcemap: "linked" | "none";
}

export interface BundleResult {
  metafile: Metafile;
  /** Bare package specifiers the output still imports, e.g. `sharp` (built-ins excluded). */
  externalImports: string[];
  /** Names the bundle exports, e.g. `handler`. */
  exports: string[];
}

/** Bundles the handler into one ES module for node22. */
export async function bundleCode(options: BundleCodeOptions): Promise<BundleResult> {
  const result = await build({
    entryPoints: [options.entry],
    outfile: options.outfile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    // ESM builds of dependencies (e.g. the AWS SDK's dist-es) tree-shake better than their CommonJS builds.
    mainFields: ["module", "main"],
    minify: options.minify,
    keepNames: false,
    sourcemap: options.sourcemap === "linked" ? "linked" : false,
    sourcesContent: false,
    legalComments: "eof",
    external: [...externalPackages],
    plugins: [requireExternals],
    banner: { js: requireBanner },
    metafile: true,
    logLevel: "warning",
  });

  const externalImports = new Set<string>();
  const exports = new Set<string>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const name of output.exports) exports.add(name);
    for (const imported of output.imports) {
      const isBuiltin = imported.path.startsWith("node:") || builtinModules.includes(imported.path);
      if (imported.external && !isBuiltin) externalImports.add(imported.path);
    }
  }
  return { metafile: result.metafile, externalImports: [...externalImports].sort(), exports: [...exports].sort() };
}
