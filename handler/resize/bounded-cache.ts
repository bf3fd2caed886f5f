/**
 * A small cache of coefficient tables keyed by sizes and window: a service resizing to one model size sees the same
 * few combinations again and again. The oldest entry goes first when it is full.
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string, build: () => V): V {
    const cached = this.entries.get(key);
    if (cached !== undefined) return cached;
    const built = build();
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, built);
    return built;
  }
}
