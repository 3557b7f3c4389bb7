/**
 * Attacks on two-factor login, each reproduced: a code relayed or replayed, an mfa_token reused or
 * taken to another account, codes guessed past the tries of a token, two parallel logins with one code
 * (the race forced with a lock, tests/support/interleave.ts), the secret read from a database dump.
 */
import { holdingLocks } from '../../support/interleave';
import { expect, test, withDb } from '../../support/fixtures';
import { claimsOf, enableTwoFactor, forgetLastStep, mfaToken, totpCode, wrongCode } from '../../support/two-factor';

test('a code works once: replayed (or relayed) to another login within its window, it is refused', async ({ api, account }) => {
  const { secret, confirmedWith } = await enableTwoFactor(api, account);
  // The confirming code's step is spent already: a phisher relaying that very code gets nothing.
  const relayed = await api.post('/auth/login/2fa', { data: { mfa_token: await mfaToken(api, account.email, account.password), code: confirmedWith } });
  expect(relayed.status()).toBe(401);
  expect((await relayed.json()).error).toBe('invalid_code');

  // The next step's code (clock drift of one step is allowed) works once ...
  const code = totpCode(secret, 1);
  const first = await api.post('/auth/login/2fa', { data: { mfa_token: await mfaToken(api, account.email, account.password), code } });
  expect(first.status()).toBe(200);
  expect(claimsOf((await first.json()).access_token).amr).toEqual(['pwd', 'otp']);
  // ... and never again, nor does an earlier step's code once a later one was used.
  for (const replay of [code, totpCode(secret, 0), totpCode(secret, -1)]) {
    const again = await api.post('/auth/login/2fa', { data: { mfa_token: await mfaToken(api, account.email, account.password), code: replay } });
    expect(again.status(), replay).toBe(401);
    expect((await again.json()).error).toBe('invalid_code');
  }
});

test('a code two steps away from the clock is refused (drift is one step each way)', async ({ api, account }) => {
  const { secret } = await enableTwoFactor(api, account);
  await forgetLastStep(account.id);
  for (const steps of [-2, 2]) {
    const answer = await api.post('/auth/login/2fa', { data: { mfa_token: await mfaToken(api, account.email, account.password), code: totpCode(secret, steps) } });
    expect(answer.status(), `${steps} steps`).toBe(401);
  }
  const previous = await api.post('/auth/login/2fa', { data: { mfa_token: await mfaToken(api, account.email, account.password), code: totpCode(secret, -1) } });
  expect(previous.status()).toBe(200);
});

test('an mfa_token works once: after a completed login it is refused, even with a fresh code', async ({ api, account }) => {
  const { secret, recoveryCodes } = await enableTwoFactor(api, account);
  const token = await mfaToken(api, account.email, account.password);
  expect((await api.post('/auth/login/2fa', { data: { mfa_token: token, code: totpCode(secret, 1) } })).status()).toBe(200);
  await forgetLastStep(account.id);
  for (const data of [{ code: totpCode(secret) }, { recovery_code: recoveryCodes[0] }]) {
    const reused = await api.post('/auth/login/2fa', { data: { mfa_token: token, ...data } });
    expect(reused.status()).toBe(401);
    expect((await reused.json()).error).toBe('invalid_mfa_token');
  }
});

test("an mfa_token is bound to its account: another account's code or recovery code does not complete it", async ({ api, account }) => {
  const victim = account;
  const { secret: victimSecret } = await enableTwoFactor(api, victim);
  // The attacker has their own account with 2FA, and their own codes.
  const email = `attacker-${Date.now()}@example.com`;
  expect((await api.post('/auth/register', { data: { email, password: victim.password } })).status()).toBe(201);
  const attackerLogin = await (await api.post('/auth/login', { data: { email, password: victim.password } })).json();
  const attacker = { email, password: victim.password, token: attackerLogin.access_token as string };
  const { secret: attackerSecret, recoveryCodes: attackerCodes } = await enableTwoFactor(api, attacker);

  const victimToken = await mfaToken(api, victim.email, victim.password);
  for (const data of [{ code: totpCode(attackerSecret, 1) }, { recovery_code: attackerCodes[0] }]) {
    const answer = await api.post('/auth/login/2fa', { data: { mfa_token: victimToken, ...data } });
    expect(answer.status()).toBe(401);
    expect((await answer.json()).error).toBe('invalid_code');
  }
  // The victim's own code on the victim's token: the victim's session, nobody else's.
  const own = await api.post('/auth/login/2fa', { data: { mfa_token: victimToken, code: totpCode(victimSecret, 1) } });
  expect(own.status()).toBe(200);
  expect(claimsOf((await own.json()).access_token).sub).toBe(victim.id);
});

test('an mfa_token gets 5 tries: past them even the right code is refused, and a new login is needed', async ({ api, account }) => {
  const { secret } = await enableTwoFactor(api, account);
  const token = await mfaToken(api, account.email, account.password);
  for (let i = 0; i < 5; i++) {
    const wrong = await api.post('/auth/login/2fa', { data: { mfa_token: token, code: wrongCode(secret) } });
    expect(wrong.status(), `try ${i + 1}`).toBe(401);
    expect((await wrong.json()).error).toBe('invalid_code');
  }
  const sixth = await api.post('/auth/login/2fa', { data: { mfa_token: token, code: totpCode(secret, 1) } });
  expect(sixth.status()).toBe(401);
  expect((await sixth.json()).error).toBe('invalid_mfa_token');
  // A fresh login still works with that code: the tries were the token's, the code is unspent.
  const fresh = await api.post('/auth/login/2fa', { data: { mfa_token: await mfaToken(api, account.email, account.password), code: totpCode(secret, 1) } });
  expect(fresh.status()).toBe(200);
});

test('parallel tries on one mfa_token cannot exceed 5', async ({ api, account }) => {
  const { secret } = await enableTwoFactor(api, account);
  const token = await mfaToken(api, account.email, account.password);
  const answers = await Promise.all(
    Array.from({ length: 12 }, () => api.post('/auth/login/2fa', { data: { mfa_token: token, code: wrongCode(secret) } }).then(async (r) => (await r.json()).error)),
  );
  expect(answers.filter((e) => e === 'invalid_code')).toHaveLength(5);
  expect(answers.filter((e) => e === 'invalid_mfa_token')).toHaveLength(7);
});

test('an mfa_token expires after 5 minutes', async ({ api, account }) => {
  const { secret } = await enableTwoFactor(api, account);
  const token = await mfaToken(api, account.email, account.password);
  await withDb((db) => db.query("update mfa_challenges set expires_at = now() - interval '1 second' where user_id = $1", [account.id]));
  const late = await api.post('/auth/login/2fa', { data: { mfa_token: token, code: totpCode(secret, 1) } });
  expect(late.status()).toBe(401);
  expect((await late.json()).error).toBe('invalid_mfa_token');
  // Its lifetime as issued: five minutes.
  await mfaToken(api, account.email, account.password);
  const [row] = await withDb(async (db) => (await db.query(
    'select extract(epoch from expires_at - created_at)::int as ttl from mfa_challenges where user_id = $1 and expires_at > now()', [account.id])).rows);
  expect(row.ttl).toBe(300);
});

test('a password change voids the mfa_tokens issued before it', async ({ api, account }) => {
  const { secret } = await enableTwoFactor(api, account);
  const token = await mfaToken(api, account.email, account.password);
  const changed = await api.post('/auth/password', {
    headers: { authorization: `Bearer ${account.token}` },
    data: { current_password: account.password, new_password: 'a different passphrase' },
  });
  expect(changed.status()).toBe(200);
  const answer = await api.post('/auth/login/2fa', { data: { mfa_token: token, code: totpCode(secret, 1) } });
  expect(answer.status()).toBe(401);
  expect((await answer.json()).error).toBe('invalid_mfa_token');
});

test('a recovery code works once, even for two logins racing with it', async ({ api, account }) => {
  const { recoveryCodes } = await enableTwoFactor(api, account);
  const [a, b] = [await mfaToken(api, account.email, account.password), await mfaToken(api, account.email, account.password)];
  const answers = await Promise.all([a, b].map((mfa_token) => api.post('/auth/login/2fa', { data: { mfa_token, recovery_code: recoveryCodes[3] } })));
  expect(answers.map((r) => r.status()).sort()).toEqual([200, 401]);
  const later = await api.post('/auth/login/2fa', { data: { mfa_token: await mfaToken(api, account.email, account.password), recovery_code: recoveryCodes[3] } });
  expect(later.status()).toBe(401);
  // Case, spaces and the dash do not matter for another code.
  const typed = recoveryCodes[4]!.toUpperCase().replace('-', ' ');
  const other = await api.post('/auth/login/2fa', { data: { mfa_token: await mfaToken(api, account.email, account.password), recovery_code: typed } });
  expect(other.status()).toBe(200);
});

test('two logins racing with one code: exactly one gets a session (the replay guard is one compare-and-set)', async ({ api, account }) => {
  const { secret } = await enableTwoFactor(api, account);
  const tokens = [await mfaToken(api, account.email, account.password), await mfaToken(api, account.email, account.password)];
  const code = totpCode(secret, 1);
  const statuses = await holdingLocks(async (holder) => {
    // Hold the account's row: both requests reach the statement that spends the step, and wait there.
    await holder.query('select 1 from users where id = $1 for update', [account.id]);
    const racing = tokens.map((mfa_token) => api.post('/auth/login/2fa', { data: { mfa_token, code } }));
    await holder.waitForBlocked(2, racing);
    await holder.commit();
    return (await Promise.all(racing)).map((r) => r.status());
  });
  expect(statuses.sort()).toEqual([200, 401]);
});

test('a database dump does not yield the secret, the recovery codes or an mfa_token', async ({ api, account }) => {
  const { secret, recoveryCodes } = await enableTwoFactor(api, account);
  const token = await mfaToken(api, account.email, account.password);
  const dump = await withDb(async (db) => {
    const rows: string[] = [];
    for (const table of ['users', 'recovery_codes', 'mfa_challenges', 'sessions']) {
      rows.push(...(await db.query(`select row_to_json(t)::text as row from ${table} t`)).rows.map((r) => r.row as string));
    }
    return rows.join('\n');
  });
  expect(dump).toContain(account.id);
  for (const value of [secret, secret.toLowerCase(), ...recoveryCodes, ...recoveryCodes.map((c) => c.replace('-', '')), token]) {
    expect(dump, value).not.toContain(value);
  }
  // The stored secret is sealed to its account: copied onto another account's row, it opens for nobody.
  const [{ totp_secret: sealed }] = await withDb(async (db) => (await db.query('select totp_secret from users where id = $1', [account.id])).rows);
  expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
});

test('two second steps racing on one mfa_token with two recovery codes spend one code, not both', async ({ api, account }) => {
  const { recoveryCodes } = await enableTwoFactor(api, account);
  const mfa_token = await mfaToken(api, account.email, account.password);
  const [first, second] = [recoveryCodes[5]!, recoveryCodes[6]!];
  const spent = async () =>
    withDb(async (db) => (await db.query('select count(*)::int as n from recovery_codes where user_id = $1 and used_at is not null', [account.id])).rows[0].n);
  const answers = await holdingLocks(async (holder) => {
    // Hold the first code's row: the first request stops as it spends it; the second then races it.
    const held = await holder.query(
      `update recovery_codes set used_at = null where user_id = $1 and used_at is null and code_hash = encode(sha256(convert_to($2, 'UTF8')), 'hex') returning 1`,
      [account.id, first.toLowerCase().replace(/[^a-z0-9]/g, '')],
    );
    expect(held).toHaveLength(1);
    const one = api.post('/auth/login/2fa', { data: { mfa_token, recovery_code: first } });
    await holder.waitForBlocked(1, [one]);
    const two = api.post('/auth/login/2fa', { data: { mfa_token, recovery_code: second } });
    await holder.waitForBlocked(2, [one, two]);
    await holder.commit();
    return (await Promise.all([one, two])).map((r) => r.status());
  });
  expect(answers.sort()).toEqual([200, 401]);
  // One login, one code spent: the other still works.
  expect(await spent()).toBe(1);
});
