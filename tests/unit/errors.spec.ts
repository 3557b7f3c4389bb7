import { test, expect } from '@playwright/test';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { isConnectionLost, isDatabaseUnavailable, isUniqueViolation } from '../../lib/db/errors';
import { toErrorResponse } from '../../lib/http/error-response';

const pgError = (code: string, extra: object = {}) => Object.assign(new Error(`pg ${code}`), { code, ...extra });

test.describe('telling an outage from a bug', () => {
  test('connection failures and refusals are "unavailable" (503)', () => {
    for (const error of [
      new DrizzleQueryError('select 1', [], Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })),
      new DrizzleQueryError('select 1', [], new Error('timeout exceeded when trying to connect')),
      new DrizzleQueryError('select 1', [], new Error('Connection terminated unexpectedly')),
      new DrizzleQueryError('select 1', [], pgError('57P01')),
      new DrizzleQueryError('select 1', [], pgError('53300')),
      new DrizzleQueryError('select 1', [], pgError('08006')),
      new DrizzleQueryError('select 1', [], pgError('28P01')),
    ]) {
      expect(isDatabaseUnavailable(error), String(error.cause)).toBe(true);
    }
  });

  test('query and programming errors are not (500)', () => {
    for (const error of [
      new DrizzleQueryError('select x', [], pgError('42703')),
      new DrizzleQueryError('insert', [], pgError('23505')),
      new TypeError('undefined is not a function'),
      new Error('bcrypt failed'),
    ]) {
      expect(isDatabaseUnavailable(error)).toBe(false);
    }
  });

  test('a connection closed under a statement is told from a timeout, a refusal and a bad query (only the first is worth a retry)', () => {
    const lost = [
      new Error('Connection terminated unexpectedly'),
      pgError('57P01'), // terminating connection due to administrator command: a compute that suspends
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      new Error('Client has encountered a connection error and is not queryable'),
    ];
    const notLost = [
      new Error('Query read timeout'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated due to connection timeout'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      pgError('23505'),
      pgError('42703'),
    ];
    for (const cause of lost) expect(isConnectionLost(new DrizzleQueryError('select 1', [], cause)), cause.message).toBe(true);
    for (const cause of notLost) expect(isConnectionLost(new DrizzleQueryError('select 1', [], cause)), cause.message).toBe(false);
  });

  test('a unique violation is recognised by its index name', () => {
    const error = new DrizzleQueryError('insert', [], pgError('23505', { constraint: 'users_email_lower_key' }));
    expect(isUniqueViolation(error, 'users_email_lower_key')).toBe(true);
    expect(isUniqueViolation(error, 'other_key')).toBe(false);
  });
});

test.describe('an unexpected failure (e.g. hashing, or a bad query)', () => {
  async function answerAndLog(failure: unknown): Promise<{ response: Response; log: string }> {
    const logged: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => logged.push(args.map(String).join(' '));
    try {
      return { response: toErrorResponse(failure, new Request('http://x/auth/register', { method: 'POST' })), log: logged.join('\n') };
    } finally {
      console.error = original;
    }
  }

  test('a hashing failure answers 500 with a generic message, and is logged', async () => {
    const { response, log } = await answerAndLog(new Error('bcrypt: invalid salt revision'));
    expect(response.status).toBe(500);
    const body = await response.json();
    expect(body).toEqual({ error: 'internal_error', message: expect.any(String) });
    expect(JSON.stringify(body)).not.toMatch(/bcrypt|salt|stack|at /);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(log).toContain('bcrypt: invalid salt revision');
  });

  test('a failed query is logged without its parameters (emails, password hashes)', async () => {
    const failure = new DrizzleQueryError('insert into "users" ("email", "hashed_password") values ($1, $2)', ['ann@example.com', '$2b$12$secrethashvalue'], pgError('42703'));
    const { response, log } = await answerAndLog(failure);
    expect(response.status).toBe(500);
    expect(JSON.stringify(await response.json())).not.toMatch(/insert|users|42703/);
    expect(log).toContain('42703');
    expect(log).not.toContain('secrethashvalue');
    expect(log).not.toContain('ann@example.com');
  });
});

test('a wait of one second is "1 second", of more "N seconds"', async () => {
  const { httpErrorFor } = await import('../../lib/http/failures');
  const { rateLimited } = await import('../../lib/auth/errors');
  expect(httpErrorFor(rateLimited(1)).message).toBe('Too many attempts. Try again in 1 second.');
  expect(httpErrorFor(rateLimited(2)).message).toBe('Too many attempts. Try again in 2 seconds.');
});
