import fs from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { AuthFailure } from '../../lib/auth/errors';
import { readMailConfig } from '../../lib/config/mail';
import { passwordResetMessage, signupAttemptMessage, verifyEmailMessage } from '../../lib/mail/messages';
import { recipientDomain, requireMail, sendMail, sendQuietly } from '../../lib/mail/send';
import { startMailCatcher } from '../../scripts/local/mail-catcher';
import { expect, test, uniqueEmail } from '../support/fixtures';
import { freePort, runServerToExit, serverEnv, startServer } from '../support/server';
import { receivedMail, waitForMail, waitForMails } from '../support/smtp';

/** Settings as a production server would read them, sending to `smtpUrl`. */
const productionConfig = (smtpUrl: string) =>
  readMailConfig({ NODE_ENV: 'production', SMTP_URL: smtpUrl, MAIL_FROM: 'Example <no-reply@example.com>', APP_URL: 'https://app.example.com', APP_NAME: 'Example' });

/** console.error's lines while `work` runs. */
async function capturingErrors<T>(work: () => Promise<T>): Promise<{ result: T; logged: string[] }> {
  const logged: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => logged.push(args.map(String).join(' '));
  try {
    return { result: await work(), logged };
  } finally {
    console.error = original;
  }
}

test.describe('sending mail', () => {
  test('a message sent through lib/mail reaches the SMTP server whole: from, subject, text, HTML, link with the token', async () => {
    // The test mail server accepts any login, as a provider's would be given one.
    const withLogin = process.env.TEST_SMTP_URL!.replace('smtp://', 'smtp://mailer:any%40pass@');
    const config = productionConfig(withLogin);
    const to = uniqueEmail('reset');
    await sendMail(to, passwordResetMessage(config, { token: 'Tk_abc-123', expiresIn: 3600 }), config);

    const mail = await waitForMail({ to, kind: 'password_reset' });
    expect(mail.from).toBe('"Example" <no-reply@example.com>');
    expect(mail.to).toEqual([to]);
    expect(mail.subject).toBe('Reset your password for Example');
    expect(mail.token).toBe('Tk_abc-123');
    expect(mail.links).toEqual(['https://app.example.com/reset-password?token=Tk_abc-123']);
    expect(mail.text).toContain('https://app.example.com/reset-password?token=Tk_abc-123');
    expect(mail.html).toContain('<a href="https://app.example.com/reset-password?token=Tk_abc-123">');
    expect(mail.text).toContain('If you did not ask for this, ignore this email');
  });

  test('waitForMail tells messages to the same address apart by kind, and waits for a second one', async () => {
    const config = productionConfig(process.env.TEST_SMTP_URL!);
    const to = uniqueEmail('several');
    await sendMail(to, verifyEmailMessage(config, { token: 'first', expiresIn: 86400 }), config);
    await sendMail(to, signupAttemptMessage(config), config);
    await sendMail(to, verifyEmailMessage(config, { token: 'second', expiresIn: 86400 }), config);
    const notice = await waitForMail({ to, kind: 'signup_attempt' });
    expect(notice.subject).toBe('Someone tried to sign up with your email at Example');
    expect(notice.links).toEqual(['https://app.example.com']); // the sentence's comma after it is not part of the link
    expect(notice.token).toBeNull();
    expect((await waitForMails({ to, kind: 'verify_email' }, 2)).map((m) => m.token)).toEqual(['first', 'second']);
    expect(await receivedMail({ to: uniqueEmail('nobody') })).toEqual([]);
    await expect(waitForMail({ to, kind: 'account_deleted' }, 300)).rejects.toThrow(/0 of 1 message.*to that address: verify_email.*signup_attempt/);
  });

  test('an unreachable mail server: sendQuietly does not throw, and logs the kind and the domain only', async () => {
    const config = productionConfig(`smtp://127.0.0.1:${await freePort()}`);
    const to = 'alice.secret@example.org';
    const message = passwordResetMessage(config, { token: 'TOKEN-never-logged', expiresIn: 3600 });
    const { result, logged } = await capturingErrors(() => sendQuietly(to, message, config));
    expect(result).toBe(false);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^mail: could not send password_reset to a recipient at example\.org: ESOCKET ECONNREFUSED$/);
    // sendMail, for the CLI, throws the same safe description.
    await expect(sendMail(to, message, config)).rejects.toThrow('mail: could not send password_reset to a recipient at example.org: ESOCKET ECONNREFUSED');
  });

  test('a server that refuses the recipient, quoting the address: the log still holds only kind, domain and codes', async () => {
    const refusing = new SMTPServer({
      logger: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      onRcptTo: (address, _session, callback) =>
        callback(Object.assign(new Error(`<${address.address}>: Recipient address rejected: User unknown`), { responseCode: 550 })),
    });
    const port = await new Promise<number>((resolve) => {
      refusing.listen(0, '127.0.0.1', () => resolve((refusing.server.address() as { port: number }).port));
    });
    try {
      const config = productionConfig(`smtp://127.0.0.1:${port}`);
      const message = passwordResetMessage(config, { token: 'TOKEN-never-logged', expiresIn: 3600 });
      const { result, logged } = await capturingErrors(() => sendQuietly('Bob.Private@Example.NET', message, config));
      expect(result).toBe(false);
      expect(logged).toEqual(['mail: could not send password_reset to a recipient at example.net: EENVELOPE SMTP 550']);
    } finally {
      await new Promise<void>((resolve) => refusing.close(() => resolve()));
    }
  });

  test('with SMTP_URL=off: flows that need mail fail with mail_disabled', async () => {
    const off = readMailConfig({ NODE_ENV: 'production', SMTP_URL: 'off' });
    let failure: unknown;
    try {
      requireMail(off);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(AuthFailure);
    expect((failure as AuthFailure).kind).toBe('mail_disabled');
    expect(() => requireMail(productionConfig('smtp://127.0.0.1:1'))).not.toThrow();
    await expect(sendMail('a@example.com', signupAttemptMessage(off), off)).rejects.toThrow(AuthFailure);
  });

  test('recipientDomain keeps only the domain, lower-cased', () => {
    expect(recipientDomain('Alice@Example.COM')).toBe('example.com');
    expect(recipientDomain('"a@b" <x@mail.example.org>')).toBe('mail.example.org');
    expect(recipientDomain('nobody')).toBe('(no domain)');
  });
});

test.describe('the mail catcher', () => {
  test('keeps each message as an .eml file and calls back with it', async () => {
    const dir = path.join(process.cwd(), '.data', `mail-catcher-test-${Date.now()}`);
    const seen: string[] = [];
    const catcher = await startMailCatcher({ dir, port: 0, onMessage: (mail) => seen.push(`${mail.to.join()} ${mail.token}`) });
    try {
      const config = productionConfig(catcher.url);
      await sendMail('carol@example.com', verifyEmailMessage(config, { token: 'v-1', expiresIn: 600 }), config);
      const files = fs.readdirSync(dir);
      expect(files).toHaveLength(1); // there once sendMail has resolved
      expect(files[0]).toMatch(/^\d{14}-\d{6}-[0-9a-f]{6}\.eml$/);
      expect(fs.readFileSync(path.join(dir, files[0]!), 'utf8')).toMatch(/^Delivered-To: carol@example\.com\r\n/);
      await expect.poll(() => seen).toEqual(['carol@example.com v-1']);
    } finally {
      await catcher.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a taken port: an explicit choice fails naming its setting; otherwise another port is used', async () => {
    const dir = path.join(process.cwd(), '.data', `mail-catcher-port-${Date.now()}`);
    const first = await startMailCatcher({ dir, port: 0 });
    try {
      await expect(startMailCatcher({ dir, port: first.port, portSetting: 'LOCAL_MAIL_PORT' })).rejects.toThrow(
        `mail catcher: port ${first.port} on 127.0.0.1 is taken by another program. Choose another with LOCAL_MAIL_PORT=<port>.`,
      );
      const second = await startMailCatcher({ dir, port: first.port, anyPortIfTaken: true });
      expect(second.port).not.toBe(first.port);
      expect(second.url).toBe(`smtp://127.0.0.1:${second.port}`);
      await second.stop();
    } finally {
      await first.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

test.describe('mail at server start (production)', () => {
  test('no SMTP_URL: the server refuses to start and says how to set it or turn mail off', async () => {
    const { code, output } = await runServerToExit(serverEnv({ SMTP_URL: undefined }));
    expect(code).toBe(1);
    expect(output).toContain('Cannot start: SMTP_URL is not set.');
    expect(output).toContain('SMTP_URL=off');
  });

  test('SMTP_URL=off with EMAIL_VERIFICATION=required: refuses to start, naming both', async () => {
    const { code, output } = await runServerToExit(serverEnv({ SMTP_URL: 'off', EMAIL_VERIFICATION: 'required' }));
    expect(code).toBe(1);
    expect(output).toContain('Cannot start: EMAIL_VERIFICATION=required needs mail, but SMTP_URL=off.');
  });

  test('an unreachable mail server does not stop the server from starting and serving', async () => {
    const server = await startServer(serverEnv({ SMTP_URL: `smtp://127.0.0.1:${await freePort()}` }));
    try {
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
      expect(server.output()).not.toContain('Cannot start');
    } finally {
      await server.stop();
    }
  });
});
