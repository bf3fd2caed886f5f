import { fileURLToPath } from "node:url";
import { lambdaLimits } from "../scripts/shared/lambda-emulator/limits.js";
import { startLocalFunctionUrl } from "../scripts/shared/lambda-emulator/server.js";
import { describeHttpContract } from "./support/http-contract.js";

const realHandler = fileURLToPath(new URL("../handler/index.ts", import.meta.url));

describeHttpContract("npm start's local function URL in front of the real handler", async () => {
  const server = await startLocalFunctionUrl({
    handlerModule: realHandler,
    port: 0,
    functionOutput: "ignore",
    log: () => {},
  });
  return { url: server.url, maxBodyBytes: lambdaLimits.requestPayloadBytes, close: () => server.close() };
});
