import { decodeJwt } from 'jose';
import { expect, test, withDb } from '../../support/fixtures';
import { newAccount } from '../../support/sessions';

test.describe('login opens a session', () => {
  test('returns a refresh token and an access token carrying the session id', async ({ api }) => {
    const { pair } = await newAccount(api);
    expect(pair).toMatchObject({ token_type: 'bearer', expires_in: 900, refresh_expires_in: 30 * 86400 });
    expect(pair.refresh_token).toMatch(/^[A-Za-z0-9_-]{70}$/);
    const { sid } = decodeJwt(pair.access_token);
    const stored = await withDb(async (db) => (await db.query('select * from sessions where id = $1', [sid])).rows);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ refresh_generation: 0, refresh_token_hash: expect.stringMatching(/^[0-9a-f]{64}$/), refresh_family_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // Hashes only: the row holds no part of the token.
    expect(JSON.stringify(stored[0])).not.toContain(pair.refresh_token);
    expect(JSON.stringify(stored[0])).not.toContain(pair.refresh_token.slice(0, 22));
  });
});
