/**
 * The admin UI's pure helpers, under Node (no browser needed): the history diff, list filtering,
 * rollout-plan templates and input parsing.
 */
import { describe, expect, test } from 'vitest';
// @ts-expect-error plain JavaScript modules served to the browser as they are
import { diffConfigs, displayValue } from '../../src/ui/public/admin/ui/lib/diff.js';
// @ts-expect-error plain JavaScript modules served to the browser as they are
import { numberOrRaw, parseList, percent, ratio, statusOf } from '../../src/ui/public/admin/ui/lib/format.js';
// @ts-expect-error plain JavaScript modules served to the browser as they are
import { filterFlags } from '../../src/ui/public/admin/ui/views/list.js';
// @ts-expect-error plain JavaScript modules served to the browser as they are
import { ARTICLE_STAGES, doublingStages, parseStages } from '../../src/ui/public/admin/ui/sections/plan.js';

const base = {
  id: 'f',
  version: 3,
  enabled: true,
  rollout_percentage: 25,
  allowed_users: ['a', 'b'],
  allowed_tenants: [],
  auto_kill: { enabled: true, max_failures: 10, window_seconds: 300, min_samples: 100 },
  updated_at: '2026-01-01T00:00:00Z',
};

describe('history diff', () => {
  test('lists only what changed, ignoring version bookkeeping', () => {
    const after = { ...base, version: 4, updated_at: '2026-01-02T00:00:00Z', enabled: false, rollout_percentage: 0 };
    expect(diffConfigs(base, after)).toEqual([
      { path: 'enabled', kind: 'value', before: true, after: false },
      { path: 'rollout_percentage', kind: 'value', before: 25, after: 0 },
    ]);
  });

  test('reads list changes as added and removed items', () => {
    const [change] = diffConfigs(base, { ...base, allowed_users: ['b', 'c'] });
    expect(change).toMatchObject({ path: 'allowed_users', kind: 'list', added: ['c'], removed: ['a'] });
  });

  test('flattens the auto-kill policy into its fields, in admin units', () => {
    const changes = diffConfigs(base, { ...base, auto_kill: { ...base.auto_kill, window_seconds: 600, max_error_rate: 0.05 } });
    expect(changes.map((c: { path: string }) => c.path)).toEqual(['auto_kill.window_seconds', 'auto_kill.max_error_rate']);
    expect(displayValue('auto_kill.window_seconds', 600)).toBe('10 min');
    expect(displayValue('auto_kill.max_error_rate', 0.05)).toBe('5%');
    expect(displayValue('rollout_percentage', 12.5)).toBe('12.5%');
  });

  test('a created flag (no before) lists its fields', () => {
    expect(diffConfigs(null, base).map((c: { path: string }) => c.path)).toContain('rollout_percentage');
  });
});

describe('list filters', () => {
  const flags = [
    { id: 'new-chatbot', description: 'Testing new AI chatbot', owner: 'ai-team', status: 'rolling-out', archived: false },
    { id: 'experimental-ui', description: 'Caused issues', owner: 'web-team', status: 'killed', archived: false },
    { id: 'old-thing', description: '', owner: 'web-team', status: 'on', archived: true },
  ];
  test('text matches id, use case or owner, case-insensitively', () => {
    expect(filterFlags(flags, { q: 'AI', status: '', archived: false }).map((f: { id: string }) => f.id)).toEqual(['new-chatbot']);
    expect(filterFlags(flags, { q: 'web', status: '', archived: false }).map((f: { id: string }) => f.id)).toEqual(['experimental-ui']);
    expect(filterFlags(flags, { q: 'web', status: '', archived: true }).map((f: { id: string }) => f.id)).toEqual(['experimental-ui', 'old-thing']);
  });
  test('status filter uses the server status', () => {
    expect(filterFlags(flags, { q: '', status: 'killed', archived: false }).map((f: { id: string }) => f.id)).toEqual(['experimental-ui']);
  });
  test('status derived from the config when the server sends none', () => {
    expect(statusOf({ enabled: true, rollout_percentage: 100 })).toBe('on');
    expect(statusOf({ enabled: true, rollout_percentage: 5 })).toBe('rolling-out');
    expect(statusOf({ enabled: true, rollout_percentage: 0, allowed_users: ['x'] })).toBe('allowlist-only');
    expect(statusOf({ enabled: true, rollout_percentage: 0, allowed_users: [] })).toBe('off');
    expect(statusOf({ enabled: false, rollout_percentage: 0 })).toBe('off');
  });
});

describe('rollout plan templates', () => {
  test("the article's schedule: 1, 5, 25, 50, 100 over a week", () => {
    expect(ARTICLE_STAGES.map((s: { percentage: number }) => s.percentage)).toEqual([1, 5, 25, 50, 100]);
    const days = ARTICLE_STAGES.slice(0, -1).reduce((sum: number, s: { hold_seconds: number }) => sum + s.hold_seconds, 0) / 86_400;
    expect(days).toBe(6); // stage 100% starts on day 7
  });
  test('doubling from a start percentage ends at 100', () => {
    expect(doublingStages(1).map((s: { percentage: number }) => s.percentage)).toEqual([1, 2, 4, 8, 16, 32, 64, 100]);
    expect(doublingStages(30).map((s: { percentage: number }) => s.percentage)).toEqual([30, 60, 100]);
  });
  test('custom stages: "percentage, hours" per line', () => {
    expect(parseStages('1, 24\n10 12\n\n100')).toEqual([
      { percentage: 1, hold_seconds: 86_400 },
      { percentage: 10, hold_seconds: 43_200 },
      { percentage: 100, hold_seconds: 0 },
    ]);
  });
});

describe('inputs', () => {
  test('lists split on lines and commas, blanks dropped', () => {
    expect(parseList(' a, b\n\nc ,')).toEqual(['a', 'b', 'c']);
  });
  test('numbers stay numbers; anything else goes to the API as typed', () => {
    expect(numberOrRaw('12.5')).toBe(12.5);
    expect(numberOrRaw('abc')).toBe('abc');
    expect(numberOrRaw('  ')).toBeUndefined();
  });
  test('percent and ratio formatting', () => {
    expect(percent(25)).toBe('25%');
    expect(percent(0.05)).toBe('0.05%');
    expect(ratio(0.1)).toBe('10%');
    expect(ratio(0.125)).toBe('12.5%');
  });
});
