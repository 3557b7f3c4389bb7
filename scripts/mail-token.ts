/**
 * npm run -s mail:token -- <email> [kind]: prints the token of the newest message the local mail catcher
 * kept for this address (of this kind: password_reset, verify_email), waiting up to 10 s for one to
 * arrive (messages are sent after the response). For trying the reset and verification flows by hand
 * with `npm run dev`; reads LOCAL_MAIL_DIR (default .data/mail).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { readCaughtMail } from './local/mail-catcher';
import { run } from './support/run';

const KINDS = ['password_reset', 'verify_email'];
const USAGE = `Usage: npm run -s mail:token -- <email> [${KINDS.join(' | ')}]`;

async function newestToken(dir: string, to: string, kind: string | undefined): Promise<string | null> {
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.eml')).sort().reverse();
  for (const name of names) {
    const mail = await readCaughtMail(path.join(dir, name));
    if (mail.token && mail.to.includes(to) && (kind === undefined || mail.kind === kind)) return mail.token;
  }
  return null;
}

run(async () => {
  const [email, kind] = process.argv.slice(2);
  if (!email) throw new Error(USAGE);
  // Refused at once: waiting 10 s for a kind of message that never comes helps nobody.
  if (kind !== undefined && !KINDS.includes(kind)) throw new Error(`Unknown kind "${kind}". ${USAGE}`);
  const dir = process.env.LOCAL_MAIL_DIR?.trim() || path.join(process.cwd(), '.data', 'mail');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const token = await newestToken(dir, email.trim().toLowerCase(), kind);
    if (token) return void console.log(token);
    if (Date.now() > deadline) throw new Error(`No message with a token for ${email}${kind ? ` (${kind})` : ''} in ${dir} after 10 s.`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});
