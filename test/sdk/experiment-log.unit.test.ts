/** The isolate's experiment log: exposures deduplicated per unit and variant, bounded, never dropped silently. */
import { describe, expect, it } from 'vitest';
import { ExperimentLog } from '../../src/sdk/experiment-log';

describe('ExperimentLog', () => {
  it('sends a unit once per variant; another variant is sent again (the object counts a multiple exposure)', () => {
    const log = new ExperimentLog();
    const shard = log.shard('f');
    for (let i = 0; i < 100; i++) shard.expose('u1', 'on', 1_000 + i);
    shard.expose(undefined, 'on', 1_000); // no bucketing attribute: not a unit
    shard.expose('u1', 'off', 2_000);
    expect(log.take(10, 10).get('f')!.units).toEqual([
      { unit: 'u1', variant: 'on', at: 1_000 },
      { unit: 'u1', variant: 'off', at: 2_000 },
    ]);
    expect(log.hasPending).toBe(false);
  });

  it('keeps what a flush cannot carry for the next one, and a failed call goes back in front', () => {
    const log = new ExperimentLog();
    const shard = log.shard('f');
    for (let i = 0; i < 5; i++) shard.expose(`u${i}`, 'on', i);
    log.event('f', 'u0', 'checkout', undefined, 10);
    const first = log.take(2, 10).get('f')!;
    expect(first.units.map((u) => u.unit)).toEqual(['u0', 'u1']);
    expect(first.events).toEqual([{ unit: 'u0', metric: 'checkout', at: 10 }]);
    expect(log.requeue('f', first.units, [])).toBe(2);
    expect(log.take(10, 10).get('f')!.units.map((u) => u.unit)).toEqual(['u0', 'u1', 'u2', 'u3', 'u4']);
  });

  it('counts what a full queue drops, reports it at the next take, and does not mark a dropped unit as seen', () => {
    const drops: [string, number][] = [];
    const log = new ExperimentLog({ maxPending: 2, onDrop: (flagId, count) => drops.push([flagId, count]) });
    const shard = log.shard('f');
    shard.expose('a', 'on', 1);
    shard.expose('b', 'on', 1);
    shard.expose('c', 'on', 1);
    log.event('f', 'a', 'm', 1, 1);
    expect(log.dropped).toBe(2);
    expect(log.take(10, 10).get('f')!.units.map((u) => u.unit)).toEqual(['a', 'b']);
    expect(drops).toEqual([['f', 2]]);
    shard.expose('c', 'on', 2); // tried again: it was never marked as seen
    expect(log.take(10, 10).get('f')!.units.map((u) => u.unit)).toEqual(['c']);
  });

  it('remembers at most two generations of units per flag', () => {
    const log = new ExperimentLog({ unitsPerFlag: 4 });
    const shard = log.shard('f');
    for (const unit of ['a', 'b', 'c', 'd', 'e']) shard.expose(unit, 'on', 1);
    log.take(100, 100);
    shard.expose('a', 'on', 2); // fell out of both generations: sent again, counted once by the object
    shard.expose('e', 'on', 2);
    expect(log.take(100, 100).get('f')!.units.map((u) => u.unit)).toEqual(['a']);
  });
});
