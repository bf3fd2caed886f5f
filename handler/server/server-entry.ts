import { runServer } from "./main.js";

// The bundles sit side by side in the task root: server.mjs starts server-worker.mjs's threads.
await runServer(new URL("./server-worker.mjs", import.meta.url));
