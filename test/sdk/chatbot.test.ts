/**
 * The article's scenario end to end in workerd: the example chatbot Worker's handler (new chatbot
 * behind `new-chatbot`, legacy fallback) reading the coordinator's KV bundle and reporting to the
 * coordinator's `FlagCoordinator` RPC entrypoint.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { handleChat, NEW_CHATBOT_FLAG, type ChatbotEnv, type ChatReply } from '../../examples/chatbot/src/app';
import { FlagClient } from '../../src/sdk/client';
import { admin, articleBucket, bundleWith, CountingReporter, createExecutionContext, health, waitOnExecutionContext, waitFor } from './helpers';

const USERS = Array.from({ length: 2_000 }, (_, i) => `user-${i}`);

describe('chatbot example with the coordinator', () => {
  it('rolls out to exactly the users the bucket picks, and the kill switch takes the flag off after 10 failures', async () => {
    // The article's flag, at 25%.
    const created = await admin('POST', '/admin/flags', {
      id: NEW_CHATBOT_FLAG,
      enabled: true,
      rollout_percentage: 25,
      allowed_users: ['user_internal_1', 'user_internal_2'],
      environments: ['production'],
    });
    expect(created.status).toBe(201);
    await bundleWith({ [NEW_CHATBOT_FLAG]: 1 });

    const reporter = new CountingReporter();
    const chatEnv: ChatbotEnv = { FLAGS_KV: env.FLAGS_KV, FLAG_COORDINATOR: reporter, ENVIRONMENT: 'production' };
    // The example's own client settings, with a short cache so the test sees the kill quickly.
    const flags = new FlagClient({
      kv: env.FLAGS_KV,
      environment: 'production',
      cacheTtlSeconds: 0.05,
      reporter,
      reporting: { failureIntervalMs: 0, flushIntervalMs: 50 },
    });
    const every: Response[] = [];
    const chat = async (user: string, options: { fail?: 'query' | 'header' } = {}): Promise<ChatReply> => {
      const url = new URL('https://chatbot.test/chat');
      url.searchParams.set('user', user);
      url.searchParams.set('q', 'hello');
      if (options.fail === 'query') url.searchParams.set('fail', '1');
      const headers = options.fail === 'header' ? { 'X-Fail-New-Chatbot': '1' } : undefined;
      const ctx = createExecutionContext();
      const response = await handleChat(new Request(url, { headers }), chatEnv, ctx, flags);
      await waitOnExecutionContext(ctx);
      every.push(response);
      expect(response.status).toBe(200);
      const body = await response.json<ChatReply>();
      expect(response.headers.get('X-Chatbot')).toBe(body.chatbot);
      return body;
    };

    // 1. At 25%: exactly the users the article's bucket rule picks (computed here with WebCrypto).
    const expectedNew = new Set<string>();
    for (const user of USERS) if ((await articleBucket(NEW_CHATBOT_FLAG, user)) < 25) expectedNew.add(user);
    const replies = await Promise.all(USERS.map((user) => chat(user)));
    const gotNew = new Set(replies.filter((r) => r.chatbot === 'new').map((r) => r.user));
    console.log(`25% rollout: ${gotNew.size} of ${USERS.length} users got the new chatbot`);
    expect(gotNew).toEqual(expectedNew);
    expect(gotNew.size).toBeGreaterThan(400);
    expect(gotNew.size).toBeLessThan(600);
    expect((await chat('user_internal_1')).chatbot).toBe('new');

    // 2. The new chatbot starts failing for users in the rollout: each failing request still gets the
    //    legacy chatbot, and the coordinator kills the flag on the policy's 10th failure.
    const inRollout = [...expectedNew];
    for (let i = 1; i <= 10; i++) {
      const reply = await chat(inRollout[i]!, { fail: i % 2 ? 'query' : 'header' });
      expect(reply.chatbot).toBe('legacy');
      expect(reply.flag).toMatchObject({ value: true, variant: 'on' });
      const state = await health(NEW_CHATBOT_FLAG);
      expect(state.failures).toBe(i);
      expect(state.enabled).toBe(i < 10);
    }
    const history = await admin('GET', `/admin/flags/${NEW_CHATBOT_FLAG}/history`);
    expect(history.body.entries[0]).toMatchObject({ action: 'auto_kill', actor: 'auto-kill', version: 2 });
    expect(history.body.entries[0].details).toMatchObject({ rule: 'max_failures', failures: 10, variant: 'on' });

    // 3. The kill reaches the bundle; then every user gets the legacy chatbot, failing or not.
    await bundleWith({ [NEW_CHATBOT_FLAG]: 2 });
    let probes = 0;
    await waitFor(async () => {
      probes++;
      return (await flags.evaluate(NEW_CHATBOT_FLAG, { userId: inRollout[0]! })).reason === 'DISABLED' ? true : undefined;
    }, 'the client to see the kill');
    const after = await Promise.all(USERS.map((user, i) => chat(user, i % 3 === 0 ? { fail: 'query' } : {})));
    expect(after.every((r) => r.chatbot === 'legacy' && r.flag.reason === 'DISABLED' && r.flag.version === 2)).toBe(true);
    expect((await chat('user_internal_1', { fail: 'header' })).chatbot).toBe('legacy');

    // No response to any user was an error, and the failures after the kill were never reported
    // (the new handler did not run).
    expect(every.every((r) => r.status === 200)).toBe(true);
    expect((await health(NEW_CHATBOT_FLAG)).failures).toBe(10);
    const exposures = (await health(NEW_CHATBOT_FLAG)).exposures;
    console.log(`exposures recorded: ${JSON.stringify(exposures)}; report calls: ${reporter.reports.length}, usage calls: ${reporter.usage.length}`);
    expect(exposures.on.count + exposures.off.count).toBe(every.length + probes);
  });
});
