import { describe, expect, it } from 'vitest';
import type { ServedVersion } from '../../src/flags/model';
import { propagation, READER_MAX_AGE_MS, receive, type CurrentVersion, type ReaderRecord } from '../../src/flags/propagation';

const T = 1_700_000_000_000;
const served = (version: number, first_at: number, last_at = first_at, count = 1): ServedVersion => ({ version, count, first_at, last_at });
/** Version 2 accepted at T. */
const v2: CurrentVersion = { version: 2, changed_at: T };
const iso = (ms: number) => new Date(ms).toISOString();

/** Feeds flushes to readers in order, as the flag object does. */
function run(current: CurrentVersion, flushes: [reader: string, now: number, served: ServedVersion[]][]): ReaderRecord[] {
  const records = new Map<string, ReaderRecord>();
  for (const [reader, now, s] of flushes) {
    const record = receive(records.get(reader) ?? null, reader, s, current, now);
    if (record) records.set(reader, record);
  }
  return [...records.values()];
}

describe('propagation receipts: a reader record', () => {
  it('keeps the newest version, since when, and whether it came from an older one', () => {
    const fresh = receive(null, 'a', [served(2, T + 10, T + 20)], v2, T + 30);
    expect(fresh).toEqual({ reader: 'a', version: 2, since: T + 10, moved: false, last_seen_at: T + 30, last_stale_at: null });
    const within = receive(null, 'a', [served(1, T - 50, T + 5), served(2, T + 10, T + 20)], v2, T + 30);
    expect(within).toMatchObject({ version: 2, since: T + 10, moved: true, last_stale_at: T + 5 });
    const later = receive({ ...fresh!, version: 1, since: T - 100 }, 'a', [served(2, T + 40)], v2, T + 50);
    expect(later).toMatchObject({ version: 2, since: T + 40, moved: true, last_seen_at: T + 50 });
  });

  it('only counts serving an older version after the change as stale, and caps client times at now', () => {
    const before = receive(null, 'a', [served(1, T - 100, T - 10)], v2, T + 5);
    expect(before).toMatchObject({ version: 1, last_stale_at: null });
    const after = receive(before, 'a', [served(1, T + 1, T + 900)], v2, T + 600);
    expect(after).toMatchObject({ version: 1, since: T - 100, last_stale_at: T + 600 });
  });

  it('never goes back to an older version and ignores versions the flag never had', () => {
    const on2 = receive(null, 'a', [served(2, T + 10)], v2, T + 20)!;
    expect(receive(on2, 'a', [served(1, T - 5, T + 1)], v2, T + 30)).toMatchObject({ version: 2, since: T + 10, last_seen_at: T + 30, last_stale_at: T + 1 });
    expect(receive(null, 'a', [served(3, T + 10)], v2, T + 20)).toBeNull();
    expect(receive(on2, 'a', [served(3, T + 10)], v2, T + 40)).toEqual({ ...on2, last_seen_at: T + 40 });
  });
});

describe('propagation receipts: the answer', () => {
  it('is not confirmed with no reader', () => {
    expect(propagation(v2, [], T)).toEqual({ version: 2, changed_at: iso(T), confirmed_at: null, stale_readers: 0, readers: [] });
  });

  it('stays unconfirmed while a live reader is on an older version, then confirms at its switch', () => {
    const flushes: [string, number, ServedVersion[]][] = [
      ['fast', T - 1_000, [served(1, T - 5_000, T - 1_000)]],
      ['slow', T - 1_000, [served(1, T - 5_000, T - 1_000)]],
      ['fast', T + 1_500, [served(1, T + 100, T + 300), served(2, T + 400, T + 1_400)]],
      ['slow', T + 2_000, [served(1, T + 100, T + 1_900)]],
    ];
    const lagging = propagation(v2, run(v2, flushes), T + 2_000);
    expect(lagging.confirmed_at).toBeNull();
    expect(lagging.stale_readers).toBe(1);
    expect(lagging.readers).toEqual([
      { reader: 'slow', version: 1, last_seen_at: iso(T + 2_000), last_stale_at: iso(T + 1_900) },
      { reader: 'fast', version: 2, last_seen_at: iso(T + 1_500), last_stale_at: iso(T + 300) },
    ]);
    const done = propagation(v2, run(v2, [...flushes, ['slow', T + 4_000, [served(1, T + 2_100, T + 2_900), served(2, T + 3_000, T + 3_900)]]]), T + 4_000);
    expect(done.confirmed_at).toBe(iso(T + 3_000));
    expect(done.stale_readers).toBe(0);
  });

  it('a reader that starts on the current version later does not move the confirmation', () => {
    const records = run(v2, [
      ['old', T - 1_000, [served(1, T - 2_000, T - 1_000)]],
      ['old', T + 2_000, [served(2, T + 1_200, T + 1_900)]],
      ['new', T + 60_000, [served(2, T + 50_000, T + 59_000)]],
    ]);
    expect(propagation(v2, records, T + 60_000).confirmed_at).toBe(iso(T + 1_200));
  });

  it('with no reader ever on an older version, confirms at the latest first serving of the current one (never before the change)', () => {
    const records = run(v2, [
      ['a', T + 5_000, [served(2, T + 1_000, T + 4_000)]],
      ['b', T + 5_000, [served(2, T + 2_500, T + 4_000)]],
      ['skewed', T + 5_000, [served(2, T - 300, T + 4_000)]],
    ]);
    expect(propagation(v2, records, T + 5_000).confirmed_at).toBe(iso(T + 2_500));
    expect(propagation(v2, run(v2, [['skewed', T + 5_000, [served(2, T - 300)]]]), T + 5_000).confirmed_at).toBe(iso(T));
  });

  it('drops readers silent for longer than the age, and a lagging one that drops out no longer holds it up', () => {
    const records = run(v2, [
      ['gone', T - 1_000, [served(1, T - 2_000, T - 1_000)]],
      ['here', T + 2_000, [served(1, T - 100, T + 500), served(2, T + 600, T + 1_900)]],
    ]);
    expect(propagation(v2, records, T + 2_000)).toMatchObject({ confirmed_at: null, stale_readers: 1 });
    const later = T - 1_000 + READER_MAX_AGE_MS;
    const answer = propagation(v2, records, later);
    expect(answer.readers.map((r) => r.reader)).toEqual(['here']);
    expect(answer).toMatchObject({ confirmed_at: iso(T + 600), stale_readers: 0 });
  });

  it('a later change makes the readers on the previous version lag again, with earlier staleness not shown', () => {
    const records = run(v2, [['a', T + 2_000, [served(1, T + 10, T + 500), served(2, T + 600, T + 1_900)]]]);
    const v3: CurrentVersion = { version: 3, changed_at: T + 10_000 };
    const answer = propagation(v3, records, T + 10_500);
    expect(answer).toMatchObject({ version: 3, confirmed_at: null, stale_readers: 1 });
    expect(answer.readers).toEqual([{ reader: 'a', version: 2, last_seen_at: iso(T + 2_000), last_stale_at: null }]);
  });
});
