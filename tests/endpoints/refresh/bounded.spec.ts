/**
 * A session's refresh state is a fixed part of its row (lib/auth/store/sessions.ts): the live
 * generation and token hash, and the token spent just before the live one (its hash, when, and the live
 * token sealed under it). However many refreshes, nothing grows, and no spent token is forgotten while
 * the session lives (tests/endpoints/refresh/reuse.spec.ts catches them).
 */
import { decodeJwt } from 'jose';
import { expect, test, withDb } from '../../support/fixtures';
import { newAccount, type Pair, refresh } from '../../support/sessions';

async function refreshOk(api: Parameters<typeof refresh>[0], token: string): Promise<Pair> {
  const response = await refresh(api, token);
  expect(response.status()).toBe(200);
  return response.json();
}

const rowSize = (sid: string) =>
  withDb(async (db) => (await db.query('select pg_column_size(s.*) as bytes from sessions s where id = $1', [sid])).rows[0].bytes as number);

test('50 refreshes leave the session one row of the size it had after the first, and nothing elsewhere', async ({ api }) => {
  const { pair } = await newAccount(api);
  const sid = decodeJwt(pair.access_token).sid as string;
  let token = (await refreshOk(api, pair.refresh_token)).refresh_token;
  const afterOne = await rowSize(sid);
  for (let i = 0; i < 49; i++) token = (await refreshOk(api, token)).refresh_token;
  expect(await rowSize(sid)).toBe(afterOne);
  expect(afterOne).toBeLessThan(1024);
  // The per-token table of earlier versions is gone: the sessions row is all there is.
  expect(await withDb(async (db) => (await db.query(`select to_regclass('refresh_tokens') as t`)).rows[0].t)).toBeNull();
});
