import { DrizzleQueryError } from 'drizzle-orm/errors';

type MaybeDbError = { code?: unknown; constraint?: unknown; message?: unknown; cause?: unknown };

function* chain(error: unknown): Generator<MaybeDbError> {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    yield current as MaybeDbError;
    current = (current as MaybeDbError).cause;
  }
}

/** The PostgreSQL SQLSTATE anywhere in the error's cause chain (Drizzle wraps driver errors). */
export function sqlState(error: unknown): string | undefined {
  for (const e of chain(error)) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

export function isUniqueViolation(error: unknown, constraint: string): boolean {
  for (const e of chain(error)) {
    if (e.code === '23505' && e.constraint === constraint) return true;
  }
  return false;
}

// SQLSTATE classes that mean "the database cannot serve us right now", not "our query is wrong":
// 08 connection exception, 28 invalid authorization, 3D invalid catalog (no such database),
// 40 transaction rollback (deadlock, serialization: transient, worth a retry), 53 insufficient
// resources, 57 operator intervention (shutdown, cancel, timeout).
const UNAVAILABLE_CLASSES = new Set(['08', '28', '3D', '40', '53', '57']);
const NETWORK_FAILURE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|WebSocket|socket hang up|Connection closed|Query read timeout/i;

/**
 * True when the error says the database is unreachable or refusing service (answer 503), false when it
 * is a bug or a constraint (answer 500 or handle it). Without a SQLSTATE, only the driver's and Node's
 * known connection-failure messages count: anything else is a bug and must show as one.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const state = sqlState(error);
  if (state) return UNAVAILABLE_CLASSES.has(state.slice(0, 2));
  for (const e of chain(error)) {
    if (typeof e.message === 'string' && NETWORK_FAILURE.test(e.message)) return true;
    if (typeof e.code === 'string' && NETWORK_FAILURE.test(e.code)) return true;
  }
  return false;
}

// The connection itself was gone when the statement was sent or before its answer came: closed by the
// server (57P01 admin shutdown, as when a Neon compute suspends; 57P02 crash) or by the network. Not a
// timeout: a database that does not answer is not helped by asking again.
const CONNECTION_LOST_STATES = new Set(['57P01', '57P02', '08003', '08006']);
const CONNECTION_LOST = /Connection terminated unexpectedly|ECONNRESET|EPIPE|socket hang up|not queryable/i;

/** True when a statement failed because its connection was closed under it (the statement itself may be fine). */
export function isConnectionLost(error: unknown): boolean {
  const state = sqlState(error);
  if (state) return CONNECTION_LOST_STATES.has(state);
  for (const e of chain(error)) {
    if (typeof e.message === 'string' && CONNECTION_LOST.test(e.message) && !/timeout/i.test(e.message)) return true;
    if (e.code === 'ECONNRESET' || e.code === 'EPIPE') return true;
  }
  return false;
}

/**
 * A one-line description safe for logs: Drizzle's own message carries the query's parameters
 * (emails, password hashes), so only the driver's message and SQLSTATE are kept.
 */
export function describeForLog(error: unknown): string {
  const parts: string[] = [];
  for (const e of chain(error)) {
    if (e instanceof DrizzleQueryError) continue;
    const name = e instanceof Error ? e.name : 'Error';
    const message = typeof e.message === 'string' ? e.message : String(e);
    parts.push(typeof e.code === 'string' ? `${name} [${e.code}]: ${message}` : `${name}: ${message}`);
  }
  return parts.join(' <- ') || 'database query failed';
}

/** A stack trace safe for logs: the first error in the chain that is not Drizzle's (whose stack repeats its message, parameters included). */
export function stackForLog(error: unknown): string {
  for (const e of chain(error)) {
    if (!(e instanceof DrizzleQueryError) && e instanceof Error && e.stack) return e.stack;
  }
  return '';
}
