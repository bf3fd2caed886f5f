// A handler module whose initialisation fails, as a missing model would make the real one fail.
await Promise.resolve();
throw new Error("model file not found during init");

export const handler = async () => ({ statusCode: 200 });
