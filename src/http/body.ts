/** Reading and validating request bodies and queries: 415, 413 and 400 with the field named. */
import type { z } from 'zod';
import { invalid, toFieldIssues } from '../flags/result';
import { HttpError } from './responses';

export const MAX_BODY_BYTES = 256 * 1024;

export async function readJson<S extends z.ZodType>(request: Request, schema: S, { optional = false, maxBytes = MAX_BODY_BYTES } = {}): Promise<z.infer<S>> {
  const text = await readText(request, maxBytes);
  if (text.trim() === '' && optional) return parse(schema, {});
  const type = request.headers.get('Content-Type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
  }
  return parse(schema, value);
}

export function parseQuery<S extends z.ZodType>(request: Request, schema: S): z.infer<S> {
  return parse(schema, Object.fromEntries(new URL(request.url).searchParams));
}

export function parse<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw HttpError.from(invalid(toFieldIssues(result.error.issues, prefix)));
  return result.data;
}

async function readText(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get('Content-Length') ?? '0');
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const text = await request.text();
  if (new TextEncoder().encode(text).length > maxBytes) throw tooLarge(maxBytes);
  return text;
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'payload_too_large', `the body is over ${maxBytes} bytes`);
}

/** `If-Match: 3`, `"3"` or `W/"3"` → 3. Anything else is a 400 naming the header. */
export function ifMatchVersion(request: Request): number | undefined {
  const header = request.headers.get('If-Match');
  if (header === null) return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
  if (!match) throw new HttpError(400, 'validation_failed', 'If-Match must be a flag version', [{ path: 'If-Match', message: 'expected a version number' }]);
  return Number(match[1]);
}

/** A path parameter, percent-decoded; malformed encoding is a 400 naming the parameter. */
export function pathParam(request: { params: Record<string, string> }, name: string): string {
  try {
    return decodeURIComponent(request.params[name] ?? '');
  } catch {
    throw new HttpError(400, 'validation_failed', `the ${name} in the path is not valid percent-encoding`, [
      { path: name, message: 'malformed percent-encoding' },
    ]);
  }
}
