/** The admin API's guard on `client_side`: a bulk answer to a browser stays small. */
import { catalogStub } from '../do/stubs';
import type { Env } from '../env';
import { invalid } from '../flags/result';
import { CLIENT_LIMITS } from '../http/client-limits';
import { HttpError } from '../http/responses';

/** Refuses to mark `flagId` client-side when as many other live flags already are. */
export async function requireClientSideRoom(env: Env, flagId: string, clientSide: boolean | undefined): Promise<void> {
  if (clientSide !== true) return;
  if ((await catalogStub(env).clientSideFlags(flagId)) < CLIENT_LIMITS.clientSideFlags) return;
  throw HttpError.from(
    invalid([{ path: 'client_side', message: `at most ${CLIENT_LIMITS.clientSideFlags} live flags may be client-side; clear it on one first` }]),
  );
}
