/** The pure rules of change requests: who may do what, and when a write is held. */
import { describe, expect, it } from 'vitest';
import { applyAtRefusal, needsApproval, parseRequestId, refusal, requestId, type ChangeRequest } from '../../src/flags/change-requests';
import type { FlagConfig } from '../../src/flags/schema';

const request: ChangeRequest = {
  id: 'checkout~3',
  flag: 'checkout',
  author: 'eve@acme.test',
  base_version: 4,
  change: { kind: 'rollout', percentage: 50 },
  reason: null,
  status: 'pending',
  needs_approval: true,
  created_at: '2026-12-02T10:00:00.000Z',
  updated_at: '2026-12-02T10:00:00.000Z',
  revision: 1,
};
const editor = { actor: 'eve@acme.test', mayApprove: false };
const admin = { actor: 'ann@acme.test', mayApprove: true };

describe('change requests', () => {
  it('ids round-trip, and a flag id may contain dots and dashes', () => {
    expect(requestId('checkout.v2-x', 12)).toBe('checkout.v2-x~12');
    expect(parseRequestId('checkout.v2-x~12')).toEqual({ flag: 'checkout.v2-x', n: 12 });
    for (const bad of ['checkout', 'checkout~0', 'checkout~', '~3', 'checkout~1.5']) expect(parseRequestId(bad)).toBeNull();
  });

  it('holds writes to a protected flag by someone who may not approve, never a pause or abort', () => {
    const flag = { protected: true } as FlagConfig;
    expect(needsApproval(flag, { kind: 'rollout', percentage: 5 }, editor)).toBe(true);
    expect(needsApproval(flag, { kind: 'rollout', percentage: 5 }, admin)).toBe(false);
    expect(needsApproval({ protected: false } as FlagConfig, { kind: 'archive' }, editor)).toBe(false);
    expect(needsApproval({} as FlagConfig, { kind: 'archive' }, editor)).toBe(false);
    expect(needsApproval(flag, { kind: 'plan_control', command: 'pause' }, editor)).toBe(false);
    expect(needsApproval(flag, { kind: 'plan_control', command: 'abort' }, editor)).toBe(false);
    expect(needsApproval(flag, { kind: 'plan_control', command: 'start' }, editor)).toBe(true);
  });

  it('approvers approve and reject others’ open requests; authors and approvers cancel', () => {
    expect(refusal(request, 'approve', admin)).toBeNull();
    expect(refusal(request, 'approve', editor)).toMatchObject({ status: 403 });
    expect(refusal(request, 'approve', { ...editor, mayApprove: true })).toMatchObject({ status: 403, message: 'nobody may approve their own change request' });
    expect(refusal(request, 'reject', { ...editor, mayApprove: true })).toMatchObject({ status: 403 });
    expect(refusal(request, 'cancel', editor)).toBeNull();
    expect(refusal(request, 'cancel', admin)).toBeNull();
    expect(refusal(request, 'cancel', { actor: 'bob@acme.test', mayApprove: false })).toMatchObject({ status: 403 });
    expect(refusal({ ...request, status: 'scheduled' }, 'approve', admin)).toMatchObject({ status: 409 });
    expect(refusal({ ...request, status: 'scheduled' }, 'cancel', editor)).toBeNull();
    expect(refusal({ ...request, status: 'applied' }, 'cancel', admin)).toMatchObject({ status: 409 });
  });

  it('apply_at lies ahead, at most 366 days', () => {
    const now = Date.parse('2026-12-02T10:00:00Z');
    expect(applyAtRefusal(now + 1, now)).toBeNull();
    expect(applyAtRefusal(now, now)).toMatchObject({ status: 400, details: [{ path: 'apply_at', message: 'must lie in the future' }] });
    expect(applyAtRefusal(now + 367 * 86_400_000, now)).toMatchObject({ details: [{ path: 'apply_at', message: 'must be at most 366 days ahead' }] });
  });
});
