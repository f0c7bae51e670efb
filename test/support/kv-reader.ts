/**
 * A KV reader that counts what it reads (operations, keys, bytes), wrapped around a real KV
 * binding: how the workerd tests and the bench measure what a refresh of the SDK costs.
 */
export interface KvReads {
  /** Calls made (a bulk get is one). */
  operations: number;
  /** Keys read, in order. */
  keys: string[];
  /** Bytes of the values read. */
  bytes: number;
}

export class CountingKv {
  reads: KvReads = { operations: 0, keys: [], bytes: 0 };

  constructor(private readonly kv: KVNamespace) {}

  /** Starts counting afresh; returns what was counted so far. */
  reset(): KvReads {
    const counted = this.reads;
    this.reads = { operations: 0, keys: [], bytes: 0 };
    return counted;
  }

  get(key: string, type: 'json'): Promise<unknown>;
  get(keys: string[], type: 'json'): Promise<Map<string, unknown>>;
  async get(key: string | string[], _type: 'json'): Promise<unknown> {
    this.reads.operations++;
    if (Array.isArray(key)) {
      const texts = await this.kv.get(key, 'text');
      const values = new Map<string, unknown>();
      for (const [k, text] of texts) values.set(k, this.count(k, text));
      return values;
    }
    return this.count(key, await this.kv.get(key, 'text'));
  }

  private count(key: string, text: string | null): unknown {
    this.reads.keys.push(key);
    if (text === null) return null;
    this.reads.bytes += new TextEncoder().encode(text).length;
    return JSON.parse(text);
  }
}
