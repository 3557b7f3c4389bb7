/**
 * Mail in the tests: the global setup starts the same catcher `npm run dev` uses (a real SMTP server
 * on a free loopback port) writing one .eml file per message into TEST_MAIL_DIR; the test servers
 * send to it (SMTP_URL=TEST_SMTP_URL), and tests, in their own worker processes, read the folder.
 *
 *   const mail = await waitForMail({ to: email, kind: 'password_reset' });
 *   mail.token, mail.links, mail.subject, mail.text, mail.html
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { readCaughtMail, startMailCatcher, type CaughtMail, type MailCatcher } from '../../scripts/local/mail-catcher';

export type { CaughtMail };

/** For the global setup: a catcher on any free loopback port, into a fresh folder under .data/. */
export async function startTestMailServer(): Promise<MailCatcher> {
  const dir = path.join(process.cwd(), '.data', 'test-mail', `${Date.now()}-${randomBytes(3).toString('hex')}`);
  const catcher = await startMailCatcher({ dir, port: 0 });
  return {
    ...catcher,
    async stop() {
      await catcher.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

export type MailMatch = {
  /** A recipient (any case). */
  to: string;
  subject?: string | RegExp;
  /** lib/mail's message kind: password_reset, verify_email, password_changed, signup_attempt, account_deleted. */
  kind?: string;
};

function mailDir(): string {
  const dir = process.env.TEST_MAIL_DIR;
  if (!dir) throw new Error('TEST_MAIL_DIR is not set: the global setup (tests/support/global-setup.ts) starts the test mail server');
  return dir;
}

// Each file is parsed once per worker; files never change once they appear.
const parsed = new Map<string, CaughtMail>();

const matches = (mail: CaughtMail, match: MailMatch) =>
  mail.to.includes(match.to.toLowerCase()) &&
  (match.kind === undefined || mail.kind === match.kind) &&
  (match.subject === undefined || (typeof match.subject === 'string' ? mail.subject === match.subject : match.subject.test(mail.subject)));

/** The messages received so far that match, oldest first. */
export async function receivedMail(match: MailMatch, dir = mailDir()): Promise<CaughtMail[]> {
  const names = (await fs.readdir(dir)).filter((name) => name.endsWith('.eml')).sort();
  const found: CaughtMail[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    let mail = parsed.get(file);
    if (!mail) parsed.set(file, (mail = await readCaughtMail(file)));
    if (matches(mail, match)) found.push(mail);
  }
  return found;
}

/** Waits until at least `count` matching messages have arrived; returns them, oldest first. */
export async function waitForMails(match: MailMatch, count: number, timeout = 10_000, dir = mailDir()): Promise<CaughtMail[]> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const found = await receivedMail(match, dir);
    if (found.length >= count) return found;
    if (Date.now() > deadline) {
      const toThem = await receivedMail({ to: match.to }, dir);
      throw new Error(
        `waitForMail: ${found.length} of ${count} message(s) matching ${JSON.stringify({ ...match, subject: match.subject?.toString() })} within ${timeout} ms; ` +
          `to that address: ${toThem.length ? toThem.map((m) => `${m.kind ?? '?'} "${m.subject}"`).join(', ') : 'nothing'}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The first message that matches, once it has arrived: {to, from, subject, kind, text, html, links, token}. */
export async function waitForMail(match: MailMatch, timeout = 10_000): Promise<CaughtMail> {
  return (await waitForMails(match, 1, timeout))[0]!;
}
