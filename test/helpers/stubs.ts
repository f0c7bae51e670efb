/** The objects' stubs for tests, from the one stub module (`src/do/stubs.ts`). */
import { env } from 'cloudflare:workers';
import { catalogStub, flagStub } from '../../src/do/stubs';

/** A flag object's stub as `cloudflare:test` takes it (runInDurableObject, evictDurableObject, runDurableObjectAlarm). */
export const flagObject = (flagId: string) => flagStub(env, flagId) as unknown as DurableObjectStub;

export const catalog = () => catalogStub(env);
