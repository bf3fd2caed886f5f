/** Runs one step and logs how long it took ("<label>: 12.3 s"). */
export async function timed<T>(label: string, log: (line: string) => void, step: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await step();
  } finally {
    log(`${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}
