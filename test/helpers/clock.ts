/** Moves a Durable Object's clock in tests, so windows and schedules age without sleeping. */
import { runInDurableObject } from 'cloudflare:test';
import type { Clock } from '../../src/do/timing';
import type { FlagObject } from '../support/objects';

export class TestClock implements Clock {
  constructor(public current = Date.now()) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

/** Makes `clock` the time of the object behind `stub` (again after an eviction, which resets it). */
export async function useClock(stub: DurableObjectStub, clock: Clock): Promise<void> {
  await runInDurableObject(stub, (instance) => {
    (instance as unknown as FlagObject).testClock.use(clock);
  });
}
