import { describe, expect, it } from 'vitest';
import { acceptBatch, answerSince, relayIndex, resetAnswer, type FeedState } from '../../src/flags/feed';
import type { ChangeEntry } from '../../src/flags/model';

const entry = (id: string, seq: number, version = seq, changed_at = 1_000 * seq): ChangeEntry => ({
  kind: 'flag',
  id,
  version,
  seq,
  changed_at,
  snapshot: null,
});

const feed = (head: number, floor: number, entries: ChangeEntry[]): FeedState => ({ head, floor, entries });

describe('change feed: answers', () => {
  const state = feed(5, 2, [entry('a', 3), entry('b', 5)]);

  it('gives every entry after the cursor, and the head to ask from next', () => {
    expect(answerSince(state, 3, 99)).toEqual({ cursor: 5, reset: false, served_at: 99, changes: [entry('b', 5)] });
    expect(answerSince(state, 5, 99)).toEqual({ cursor: 5, reset: false, served_at: 99, changes: [] });
  });

  it('cursor 0 is a new reader: every retained entry, no reset', () => {
    expect(answerSince(state, 0, 1)).toMatchObject({ reset: false, changes: [entry('a', 3), entry('b', 5)] });
  });

  it('a cursor below the floor (something it never saw was dropped) resets with everything retained', () => {
    expect(answerSince(state, 1, 1)).toEqual({ cursor: 5, reset: true, served_at: 1, changes: state.entries });
    // At the floor itself nothing is missing.
    expect(answerSince(state, 2, 1)).toMatchObject({ reset: false, changes: state.entries });
  });

  it('a cursor ahead of the feed is "behind" (catch up first); ahead even of the catalog, a reset', () => {
    expect(answerSince(state, 6, 1)).toBe('behind');
    expect(resetAnswer(state, 7)).toEqual({ cursor: 5, reset: true, served_at: 7, changes: state.entries });
  });
});

describe('change feed: relays taking batches', () => {
  it('a batch continuing from the relay head is merged: newest entry per id, dropped up to the floor', () => {
    const relay = feed(3, 0, [entry('a', 1), entry('b', 3)]);
    const next = acceptBatch(relay, { from: 3, head: 6, floor: 1, entries: [entry('b', 5), entry('c', 6)] });
    expect(next).toEqual(feed(6, 1, [entry('b', 5), entry('c', 6)]));
  });

  it('a push after the head replaces only the same flag or segment, wherever it sits, and keeps seq order', () => {
    const segment: ChangeEntry = { kind: 'segment', id: 'b', version: 2, seq: 2, changed_at: 2_000, snapshot: null };
    const relay = feed(4, 0, [entry('a', 1), segment, entry('b', 3), entry('c', 4)]);
    const next = acceptBatch(relay, { from: 4, head: 6, floor: 1, entries: [entry('a', 5), entry('b', 6)] });
    expect(next).toEqual(feed(6, 1, [segment, entry('c', 4), entry('a', 5), entry('b', 6)]));
    // The same batch merged the general way (it overlaps the head) gives the same feed.
    const overlapping = acceptBatch(relay, { from: 3, head: 6, floor: 1, entries: [entry('c', 4), entry('a', 5), entry('b', 6)] });
    expect(overlapping).toEqual(next);
  });

  it('is idempotent and never goes back: an older entry of an id is ignored', () => {
    const relay = feed(6, 0, [entry('b', 5)]);
    expect(acceptBatch(relay, { from: 2, head: 4, floor: 0, entries: [entry('b', 4)] })).toEqual(relay);
  });

  it('refuses a batch that leaves a gap after its head', () => {
    expect(acceptBatch(feed(2, 0, []), { from: 3, head: 5, floor: 0, entries: [entry('x', 5)] })).toBeNull();
  });

  it('a cold relay takes the whole retained feed and answers like the catalog', () => {
    const catalog = feed(9, 4, [entry('a', 6), entry('b', 9)]);
    const relay = acceptBatch(feed(0, 0, []), { from: 0, head: 9, floor: 4, entries: catalog.entries });
    expect(relay).toEqual(catalog);
    expect(answerSince(relay!, 3, 0)).toEqual(answerSince(catalog, 3, 0));
  });
});

describe('relay choice', () => {
  it('is stable per reader and spreads readers over every relay', () => {
    expect(relayIndex('reader-1', 4)).toBe(relayIndex('reader-1', 4));
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4_000; i++) counts[relayIndex(`isolate-${i}`, 4)]!++;
    for (const n of counts) expect(n).toBeGreaterThan(800);
  });
});
