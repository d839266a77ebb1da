/**
 * A least-recently-used cache bounded by total bytes, for decoded images (the official `--cache ram`,
 * but bounded: entries are evicted oldest-use first once the budget is exceeded).
 * @module
 */

/** An LRU cache: `get` refreshes an entry, `set` evicts least recently used entries over `maxBytes`. */
export interface ByteLru<V> {
  get(key: number): V | undefined;
  set(key: number, value: V, bytes: number): void;
  /** Current number of entries and bytes held. */
  readonly size: number;
  readonly bytes: number;
  readonly maxBytes: number;
}

/** A new {@link ByteLru} holding at most `maxBytes` (an entry larger than the budget is not kept). */
export function createByteLru<V>(maxBytes: number): ByteLru<V> {
  if (!(maxBytes >= 0)) throw new RangeError(`createByteLru: expected maxBytes >= 0, got ${maxBytes}`);
  const map = new Map<number, { value: V; bytes: number }>();
  let total = 0;
  return {
    get(key: number): V | undefined {
      const e = map.get(key);
      if (!e) return undefined;
      map.delete(key);
      map.set(key, e);
      return e.value;
    },
    set(key: number, value: V, bytes: number): void {
      const old = map.get(key);
      if (old) {
        total -= old.bytes;
        map.delete(key);
      }
      if (bytes > maxBytes) return;
      map.set(key, { value, bytes });
      total += bytes;
      for (const [k, e] of map) {
        if (total <= maxBytes) break;
        map.delete(k);
        total -= e.bytes;
      }
    },
    get size() {
      return map.size;
    },
    get bytes() {
      return total;
    },
    maxBytes,
  };
}
