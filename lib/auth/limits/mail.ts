import { sql } from 'drizzle-orm';
import { config } from '../../config';
import { getDb } from '../../db';
import { knownClients, users } from '../../db/schema';
import { forgotCounterKey, knownAddressClient, networkOf, resendCounterKey, signupNoticeKey, sourceOf } from './counters';
import { chooseKeys, countHit, k, pruneStale, SIGNUP_NOTICES, type Key } from './window';

/** Limits on the mail one email receives (reset links, verification links, sign-up notices), in fixed windows. */

/**
 * One statement: counts a message that would go to one email (a new verification link, a sign-up
 * notice) and says whether it is within the limit. The caller chooses what "past it" means: a
 * request that reveals nothing still answers 202 and sends nothing.
 */
export async function countAccountMail(
  action: 'resend' | 'signup-notice',
  email: string,
): Promise<{ allowed: true } | { allowed: false; retryAfter: number }> {
  const settings = config().rateLimit;
  if (!settings.enabled) return { allowed: true };
  const [key, limit] =
    action === 'resend'
      ? [{ own: resendCounterKey(email), overflow: 'resend:email:overflow' }, settings.resendPerUser]
      : [{ own: signupNoticeKey(email), overflow: 'signup-notice:overflow' }, SIGNUP_NOTICES];
  const { rows } = await getDb().execute<{ hits: number; retry_after: number }>(sql`
    with ${chooseKeys([key])},
    attempt as (${countHit(k(0), limit)}),
    ${pruneStale(settings, [k(0)], sql`attempt`)}
    select hits, retry_after from attempt`);
  const row = rows[0]!;
  return row.hits > limit.max ? { allowed: false, retryAfter: row.retry_after } : { allowed: true };
}

/**
 * One statement: whether a reset link may go to this email now, asked from this address. Counted per
 * email and source (RATE_LIMIT_FORGOT_EMAIL: an IPv4 address, an IPv6 /56), and, from an address the
 * account has not logged in from in the last 30 days, against the email's ceiling
 * (RATE_LIMIT_FORGOT_EMAIL_TOTAL): an attacker spending the ceiling from many addresses never spends
 * the allowance of the owner's own address. Unknown emails are counted alike.
 */
export async function countResetMail(email: string, address: string): Promise<boolean> {
  const settings = config().rateLimit;
  if (!settings.enabled) return true;
  const source = sourceOf(address);
  const keys: Key[] = [
    { own: `${forgotCounterKey(email)}:ip:${source}`, network: `${forgotCounterKey(email)}:ip:${networkOf(address, 48, 24)}`, overflow: 'forgot:account:overflow:ip:overflow' },
    { own: forgotCounterKey(email), overflow: 'forgot:account:overflow' },
  ];
  const { rows } = await getDb().execute<{ allowed: boolean }>(sql`
    with ${chooseKeys(keys)},
    known as (
      select from ${knownClients} join ${users} on ${users.id} = ${knownClients.userId}
      where lower(${users.email}) = ${email.toLowerCase()} and ${knownClients.client} = ${knownAddressClient(address)} and ${knownClients.expiresAt} > now()
    ),
    pair as (${countHit(k(0), settings.forgotPerEmail)}),
    total as (${countHit(k(1), settings.forgotPerEmailTotal, sql`not exists (select from known) and (select hits from pair) <= ${settings.forgotPerEmail.max}`)}),
    ${pruneStale(settings, [k(0), k(1)], sql`total`)}
    select (pair.hits <= ${settings.forgotPerEmail.max}
      and (exists (select from known) or coalesce((select hits from total), 0) <= ${settings.forgotPerEmailTotal.max})) as allowed
    from pair`);
  return rows[0]!.allowed;
}
