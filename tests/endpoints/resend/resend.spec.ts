import { expect, PASSWORD, test } from '../../support/fixtures';
import { INVALID_LINK, linkToken, registered } from '../../support/links';
import { login } from '../../support/sessions';
import { receivedMail, waitForMails } from '../../support/smtp';

const resend = (api: Parameters<typeof registered>[0], token?: string) =>
  api.post('/auth/email/resend', token ? { headers: { authorization: `Bearer ${token}` } } : {});

test.describe('POST /auth/email/resend', () => {
  test('sends a new verification link (202); the older one stops working, the new one verifies', async ({ api }) => {
    const { email } = await registered(api, 'resend');
    const first = await linkToken(email, 'verify_email', 1);
    const pair = await login(api, email);

    const response = await resend(api, pair.access_token);
    expect(response.status()).toBe(202);
    expect(await response.json()).toEqual({ message: 'We sent a new verification link to your email address.' });
    const second = await linkToken(email, 'verify_email', 2);
    expect(second).not.toBe(first);

    const old = await api.post('/auth/email/verify', { data: { token: first } });
    expect(old.status()).toBe(400);
    expect(await old.json()).toEqual(INVALID_LINK);
    expect((await api.post('/auth/email/verify', { data: { token: second } })).status()).toBe(200);
  });

  test('once verified: 409 already_verified, and nothing is sent', async ({ api }) => {
    const { email } = await registered(api, 'resend-done');
    expect((await api.post('/auth/email/verify', { data: { token: await linkToken(email, 'verify_email') } })).status()).toBe(200);
    const pair = await login(api, email, PASSWORD);
    const response = await resend(api, pair.access_token);
    expect(response.status()).toBe(409);
    expect(await response.json()).toEqual({ error: 'already_verified', message: expect.any(String) });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await receivedMail({ to: email, kind: 'verify_email' })).toHaveLength(1);
  });

  test('without a token it needs the email (422 naming the field); a bad token is a 401', async ({ api }) => {
    const response = await resend(api);
    expect(response.status()).toBe(422);
    expect((await response.json()).fields).toEqual({ email: expect.any(String) });
    const forged = await resend(api, 'not.a.token');
    expect(forged.status()).toBe(401);
    expect(forged.headers()['www-authenticate']).toContain('Bearer');
  });

  test('another method is a 405 with Allow: POST', async ({ api, account }) => {
    const response = await api.get('/auth/email/resend', { headers: { authorization: `Bearer ${account.token}` } });
    expect(response.status()).toBe(405);
    expect(response.headers()['allow']).toBe('POST');
    // the account fixture's own verification link is still the only one
    expect(await waitForMails({ to: account.email, kind: 'verify_email' }, 1)).toHaveLength(1);
  });
});
