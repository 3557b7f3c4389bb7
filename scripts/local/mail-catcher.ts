/**
 * The local mail catcher: a real SMTP server (smtp-server) on loopback that accepts every message,
 * whatever the recipient or login, and keeps each one as an .eml file in a folder. `npm run dev` starts
 * it when SMTP_URL is unset and prints one line per message; the tests start one in their global setup
 * and read the files back (tests/support/smtp.ts).
 *
 *   npm run mail:catcher    run it alone (for `next dev` started by hand), until Ctrl-C
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { isMain, run } from '../support/run';

export type CaughtMail = {
  file: string;
  /** Envelope recipients and To addresses, lower-cased. */
  to: string[];
  from: string;
  subject: string;
  /** The X-Mail-Kind header lib/mail sets (password_reset, verify_email...), or null. */
  kind: string | null;
  text: string;
  html: string;
  /** Every http(s) link in the text and the HTML, in order, without repeats. */
  links: string[];
  /** The `token` query parameter of the first link that has one. */
  token: string | null;
};

export type MailCatcher = { url: string; port: number; dir: string; stop(): Promise<void> };

export type MailCatcherOptions = {
  /** Where the .eml files go (created if missing). */
  dir: string;
  /** 0 for any free port. */
  port: number;
  /** When the port is taken: listen on a free one instead (true) or fail naming `portSetting`. */
  anyPortIfTaken?: boolean;
  portSetting?: string;
  /** Called with each message once its file is written. */
  onMessage?: (mail: CaughtMail) => void;
};

const addresses = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value.map((v) => v.address?.toLowerCase() ?? '')).filter(Boolean);

const decodeEntities = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

/** Parses one stored message (the catcher's .eml, with its Delivered-To lines). */
export async function parseCaughtMail(source: Buffer, file = ''): Promise<CaughtMail> {
  const parsed = await simpleParser(source);
  const delivered = parsed.headerLines.filter((h) => h.key === 'delivered-to').map((h) => h.line.slice(h.line.indexOf(':') + 1).trim().toLowerCase());
  const text = parsed.text ?? '';
  const html = typeof parsed.html === 'string' ? parsed.html : '';
  const found = [
    // A sentence's own punctuation after a link is not part of it.
    ...(text.match(/https?:\/\/[^\s<>"')\]]+/g) ?? []).map((l) => l.replace(/[.,;:!?]+$/, '')),
    ...[...html.matchAll(/href="(https?:\/\/[^"]+)"/g)].map((m) => decodeEntities(m[1]!)),
  ];
  const links = [...new Set(found)].filter((l) => URL.canParse(l));
  const withToken = links.map((l) => new URL(l).searchParams.get('token')).find((t) => t);
  const kind = parsed.headers.get('x-mail-kind');
  return {
    file,
    to: [...new Set([...delivered, ...addresses(parsed.to)])],
    from: parsed.from?.text ?? '',
    subject: parsed.subject ?? '',
    kind: typeof kind === 'string' ? kind : null,
    text,
    html,
    links,
    token: withToken ?? null,
  };
}

export async function readCaughtMail(file: string): Promise<CaughtMail> {
  return parseCaughtMail(await fs.readFile(file), file);
}

/** The dev console's line for a message: recipient, subject, and the link a developer wants to click. */
export function describeCaughtMail(mail: CaughtMail): string {
  const link = mail.links.find((l) => new URL(l).searchParams.has('token')) ?? mail.links[0] ?? '(no link)';
  return `mail: to ${mail.to.join(', ')} | ${mail.subject} | ${link}`;
}

let sequence = 0;

/** Names sort in arrival order (time, then a counter); the random part keeps processes apart. */
function fileName(): string {
  return `${String(Date.now()).padStart(14, '0')}-${String(++sequence).padStart(6, '0')}-${randomBytes(3).toString('hex')}.eml`;
}

export async function startMailCatcher(options: MailCatcherOptions): Promise<MailCatcher> {
  const dir = path.resolve(options.dir);
  await fs.mkdir(dir, { recursive: true });
  const server = new SMTPServer({
    logger: false,
    // No TLS: loopback only, and a self-signed STARTTLS would make nodemailer refuse the connection.
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'any' }),
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(Object.assign(new Error('message too large'), { responseCode: 552 }));
        const envelope = session.envelope.rcptTo.map((r) => `Delivered-To: ${r.address}\r\n`).join('');
        const source = Buffer.concat([Buffer.from(envelope), ...chunks]);
        const file = path.join(dir, fileName());
        // Written under another name first, so that a reader polling the folder never sees half a message.
        fs.writeFile(`${file}.part`, source)
          .then(() => fs.rename(`${file}.part`, file))
          .then(
            () => {
              callback(); // the sender's sendMail() resolves only once the file is there
              if (options.onMessage) {
                parseCaughtMail(source, file).then(options.onMessage, (error: Error) => console.error(`mail catcher: could not parse ${file}: ${error.message}`));
              }
            },
            (error: Error) => callback(error),
          );
      });
    },
  });

  // smtp-server re-emits its socket's errors: a failed listen rejects the start, later ones are logged.
  let failStart: ((error: Error) => void) | undefined;
  server.on('error', (error: Error) => (failStart ? failStart(error) : console.error(`mail catcher: ${error.message}`)));
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      failStart = reject;
      server.listen(port, '127.0.0.1', () => {
        failStart = undefined;
        const address = server.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });

  let port: number;
  try {
    port = await listen(options.port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    if (!options.anyPortIfTaken) {
      throw new Error(
        `mail catcher: port ${options.port} on 127.0.0.1 is taken by another program. Choose another with ${options.portSetting ?? 'LOCAL_MAIL_PORT'}=<port>.`,
      );
    }
    port = await listen(0);
  }
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    dir,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const DEFAULT_MAIL_PORT = 1025;

/** A folder as the console shows it: relative inside the project, absolute elsewhere. */
export function shownPath(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative && !relative.startsWith('..') ? relative : dir;
}

/**
 * The catcher as `npm run dev` and `npm run mail:catcher` run it: LOCAL_MAIL_PORT (default 1025; when
 * that default is taken, any free port, and we say so), messages in LOCAL_MAIL_DIR (default .data/mail),
 * one line per message on the console.
 */
export async function startLocalMailCatcher(log: (line: string) => void = console.log): Promise<MailCatcher> {
  const chosen = process.env.LOCAL_MAIL_PORT?.trim();
  const port = chosen ? Number(chosen) : DEFAULT_MAIL_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`LOCAL_MAIL_PORT must be a port number from 1 to 65535 (got "${chosen}").`);
  }
  const catcher = await startMailCatcher({
    dir: process.env.LOCAL_MAIL_DIR?.trim() || path.join(process.cwd(), '.data', 'mail'),
    port,
    anyPortIfTaken: !chosen,
    portSetting: 'LOCAL_MAIL_PORT',
    onMessage: (mail) => log(describeCaughtMail(mail)),
  });
  if (catcher.port !== port) log(`mail catcher: port ${port} is taken; listening on ${catcher.port} instead (LOCAL_MAIL_PORT chooses).`);
  return catcher;
}

if (isMain(import.meta.url)) {
  run(async () => {
    const catcher = await startLocalMailCatcher();
    console.log(`mail catcher: listening; messages are kept in ${shownPath(catcher.dir)}/`);
    console.log(`SMTP_URL=${catcher.url}`);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void catcher.stop().then(() => process.exit(0)));
  });
}
