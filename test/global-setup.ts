// Builds the default model before any suite runs (filled in by the model issue).
export default async function setup(): Promise<void> {}
