import { expect, test } from '@playwright/test';
import { parseDuration, parseLimit } from '../../lib/config';
import { readBody } from '../../lib/http/body';
import { HttpError } from '../../lib/http/errors';

test('durations: seconds, or a number with s, m, h or d; anything else names the variable', () => {
  expect(parseDuration('900', 'X')).toBe(900);
  expect(parseDuration('20s', 'X')).toBe(20);
  expect(parseDuration('15m', 'X')).toBe(900);
  expect(parseDuration('12h', 'X')).toBe(43_200);
  expect(parseDuration('90d', 'X')).toBe(7_776_000);
  expect(parseDuration('0', 'X', { allowZero: true })).toBe(0);
  for (const bad of ['0', '-5', '1.5h', '15 minutes', '', 'd']) {
    expect(() => parseDuration(bad, 'SESSION_MAX_AGE'), bad).toThrow(/^SESSION_MAX_AGE must be a duration such as 900, 15m, 12h or 30d/);
  }
});

test('limits: <count>/<duration>', () => {
  expect(parseLimit('30/1m', 'X')).toEqual({ max: 30, windowSeconds: 60 });
  expect(parseLimit('20/1h', 'X')).toEqual({ max: 20, windowSeconds: 3600 });
  for (const bad of ['30', '0/1m', 'x/1m', '30/', '30/soon']) {
    expect(() => parseLimit(bad, 'RATE_LIMIT_LOGIN'), bad).toThrow(/RATE_LIMIT_LOGIN must/);
  }
});

const post = (body: BodyInit, type?: string) =>
  new Request('http://localhost/x', { method: 'POST', body, headers: type ? { 'content-type': type } : {} });

async function failure(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(HttpError);
  return { status: (error as HttpError).status, code: (error as HttpError).code };
}

test('bodies: JSON (and +json), forms only where allowed, UTF-8 only, 16 KiB at most, no repeated form fields', async () => {
  expect(await readBody(post('{"a":1}', 'application/json'))).toEqual({ a: 1 });
  expect(await readBody(post('{"a":1}', 'application/merge-patch+json; charset=utf-8'))).toEqual({ a: 1 });
  expect({ ...((await readBody(post('a=1&b=2', 'application/x-www-form-urlencoded'), { form: true })) as object) }).toEqual({ a: '1', b: '2' });
  expect(await failure(readBody(post('a=1', 'application/x-www-form-urlencoded')))).toEqual({ status: 415, code: 'unsupported_media_type' });
  expect(await failure(readBody(post('{}', 'text/plain')))).toEqual({ status: 415, code: 'unsupported_media_type' });
  expect(await failure(readBody(post('{}', 'application/json; charset=latin1')))).toEqual({ status: 415, code: 'unsupported_media_type' });
  expect(await failure(readBody(post('{"a":', 'application/json')))).toEqual({ status: 400, code: 'malformed_json' });
  expect(await failure(readBody(post(new Uint8Array([0x7b, 0xff, 0x7d]), 'application/json')))).toEqual({ status: 400, code: 'malformed_body' });
  expect(await failure(readBody(post('a=1&a=2', 'application/x-www-form-urlencoded'), { form: true }))).toEqual({ status: 400, code: 'malformed_body' });
  expect(await failure(readBody(post(`"${'x'.repeat(16 * 1024)}"`, 'application/json')))).toEqual({ status: 413, code: 'payload_too_large' });
});
