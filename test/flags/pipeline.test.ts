/** The change pipeline, pure: what one command makes of a stored flag. */
import { describe, expect, it } from 'vitest';
import { decide, type ChangeContext, type Command, type Decision } from '../../src/flags/pipeline';
import { createFlagSchema, EDITABLE_FIELDS, patchFlagSchema, toSnapshot, type FlagConfig } from '../../src/flags/schema';

const T0 = Date.parse('2026-06-01T10:00:00.000Z');
const admin: ChangeContext = { actor: 'admin', now: T0 };

function created(body: Record<string, unknown> = {}): FlagConfig {
  const input = createFlagSchema.parse({ id: 'checkout', enabled: true, rollout_percentage: 25, ...body });
  return decided(null, { kind: 'create', input }).after;
}

function decided(current: FlagConfig | null, command: Command, context: ChangeContext = admin): Decision {
  const result = decide(current, command, context);
  if (!result.ok || !result.value) throw new Error(`expected a change: ${JSON.stringify(result)}`);
  return result.value;
}

const kinds = (decision: Decision) => decision.effects.map((e) => e.kind);

describe('decide', () => {
  it('creates version 1 with its history entry and a publish, and refuses a second create', () => {
    const input = createFlagSchema.parse({ id: 'checkout', reason: 'launch' });
    const result = decided(null, { kind: 'create', input }, { ...admin, reason: 'launch' });
    expect(result.after).toMatchObject({ id: 'checkout', version: 1, enabled: false, archived: false });
    expect(result.history).toMatchObject({ version: 1, action: 'create', actor: 'admin', reason: 'launch', before: null });
    expect(kinds(result)).toEqual(['publish']);
    const again = decide(result.after, { kind: 'create', input }, admin);
    expect(again).toMatchObject({ ok: false, status: 409, code: 'flag_exists' });
  });

  it('a kill records the status fact in the config, notifies, and a second kill changes nothing', () => {
    const flag = created();
    const kill = decided(flag, { kind: 'kill' }, { ...admin, reason: 'incident' });
    expect(kill.after).toMatchObject({ version: 2, enabled: false, rollout_percentage: 0, killed_by_switch: true });
    expect(kill.history).toMatchObject({ action: 'kill', reason: 'incident', details: { changed: ['enabled', 'rollout_percentage'] } });
    expect(kill.effects).toEqual([{ kind: 'publish' }, { kind: 'notify', event: expect.objectContaining({ event: 'flag.killed', idempotency_key: 'checkout:2:flag.killed' }) }]);
    expect(decide(kill.after, { kind: 'kill' }, admin)).toEqual({ ok: true, value: null });
  });

  it('an edit while killed keeps the fact; re-enabling clears it and resets the window', () => {
    const killed = decided(created(), { kind: 'kill' }).after;
    const edited = decided(killed, { kind: 'patch', patch: patchFlagSchema.parse({ description: 'later' }) }).after;
    expect(edited.killed_by_switch).toBe(true);
    const enabled = decided(edited, { kind: 'patch', patch: patchFlagSchema.parse({ enabled: true, rollout_percentage: 10 }) });
    expect(enabled.after.killed_by_switch).toBeUndefined();
    expect(kinds(enabled)).toEqual(['publish', 'notify', 'reset_window']);
  });

  it('a report that breaches the policy kills automatically and keeps the incident in the config', () => {
    const flag = created({ auto_kill: { max_failures: 3 } });
    const counts = { failures: 3, successes: 7 };
    const result = decided(flag, { kind: 'health', counts, report: { failures: 1, successes: 0, error: 'boom' } }, { actor: 'ignored', now: T0 + 1_000 });
    expect(result.history).toMatchObject({ action: 'auto_kill', actor: 'auto-kill', reason: 'policy breached: max_failures' });
    expect(result.after).toMatchObject({ enabled: false, killed_by_switch: true });
    expect(result.after.last_incident).toMatchObject({ rule: 'max_failures', failures: 3, error_sample: 'boom', version: 2, at: '2026-06-01T10:00:01.000Z' });
    // Under the limits nothing happens, and a disabled flag is never killed again.
    expect(decide(flag, { kind: 'health', counts: { failures: 2, successes: 0 }, report: { failures: 1, successes: 0 } }, admin)).toEqual({ ok: true, value: null });
    expect(decide(result.after, { kind: 'health', counts, report: { failures: 1, successes: 0 } }, admin)).toEqual({ ok: true, value: null });
  });

  it('a revert restores the editable fields and keeps the status facts of the flag as it is', () => {
    const v1 = created();
    const killed = decided(v1, { kind: 'kill' }).after;
    const result = decided(killed, { kind: 'revert', version: 1, target: { ...v1, enabled: false } });
    expect(result.after).toMatchObject({ version: 3, rollout_percentage: 25, killed_by_switch: true });
    expect(result.history).toMatchObject({ action: 'revert', reason: 'revert to version 1', details: { reverted_to: 1 } });
    expect(decide(killed, { kind: 'revert', version: 9, target: null }, admin)).toMatchObject({ ok: false, status: 404 });
  });

  it('a patch of the percentage alone is a rollout update; one of equal values is no change', () => {
    const flag = created();
    expect(decided(flag, { kind: 'patch', patch: patchFlagSchema.parse({ rollout_percentage: 50 }) }).history.action).toBe('rollout_update');
    expect(decide(flag, { kind: 'patch', patch: patchFlagSchema.parse({ rollout_percentage: 25 }) }, admin)).toEqual({ ok: true, value: null });
  });
});

describe('the one definition of the fields', () => {
  it('create, patch, editable fields and the snapshot agree', () => {
    const flag = created({ description: 'private', owner: 'team', environments: ['production'] });
    expect(EDITABLE_FIELDS).toContain('environments');
    const snapshot = toSnapshot(flag);
    expect(snapshot).not.toHaveProperty('description');
    expect(snapshot).not.toHaveProperty('owner');
    expect(snapshot).not.toHaveProperty('auto_kill');
    expect(snapshot).toMatchObject({ id: 'checkout', version: 1, environments: ['production'], archived: false });
    // PATCH clears an optional field with null, and refuses null for a field every flag has.
    expect(patchFlagSchema.safeParse({ environments: null }).success).toBe(true);
    expect(patchFlagSchema.safeParse({ enabled: null }).success).toBe(false);
    expect(patchFlagSchema.safeParse({}).success).toBe(false);
  });
});
