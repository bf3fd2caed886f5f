import { bindWarning } from "../../shared/lambda-emulator/host-check.js";
import { buildLocalImage } from "../../shared/container/local-image.js";
import { localImageArch, parseServeOptions, usage } from "../../shared/lambda-emulator/options.js";
import { startLocalFunctionUrl } from "../../shared/lambda-emulator/server.js";

let parsed: ReturnType<typeof parseServeOptions>;
try {
  parsed = parseServeOptions(process.argv.slice(2), process.env);
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
  process.exit(2);
}
if (parsed.help) {
  console.log(usage);
  process.exit(0);
}

const { options } = parsed;
const warning = bindWarning(options.host ?? "127.0.0.1");
if (warning) console.error(warning);
if (parsed.buildImage) {
  console.error(`Building ${options.image?.ref} with podman (cached layers are reused) …`);
  const built = await buildLocalImage({ arch: localImageArch, log: (line) => console.error(line) }).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
  console.error(`${built.ref} ready in ${built.seconds.toFixed(1)} s`);
}
const what = options.image ? `containers of ${options.image.ref}` : options.handlerModule;
console.error(`Starting ${options.concurrency} execution environment(s): ${what} …`);
const functionUrl = await startLocalFunctionUrl(options).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
console.error(`Local function URL: ${functionUrl.url}  (Ctrl-C to stop)`);

let stopRequestedAt: number | undefined;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopRequestedAt !== undefined) {
      // Ctrl-C reaches this process both from the terminal and relayed by npm: one keypress, two signals.
      if (Date.now() - stopRequestedAt < 1_000) return;
      console.error("Stopping now.");
      process.exit(130);
    }
    stopRequestedAt = Date.now();
    console.error(`${signal}: finishing requests in flight, then stopping (again to force) …`);
    functionUrl.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
