import { parseServeOptions, usage } from "./serve/options.js";
import { startLocalFunctionUrl } from "./serve/server.js";

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
console.error(`Starting ${options.concurrency} execution environment(s) for ${options.handlerModule} …`);
const functionUrl = await startLocalFunctionUrl(options).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
console.error(`Local function URL: ${functionUrl.url}  (Ctrl-C to stop)`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) {
      console.error("Stopping now.");
      process.exit(130);
    }
    stopping = true;
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
