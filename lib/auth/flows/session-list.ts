import type { z } from 'zod';
import type { sessionResponse } from '../wire/schemas';
import { listLiveSessions } from '../store/sessions';

type ListedSession = z.output<typeof sessionResponse>;

/** GET /auth/sessions: the store's rows as the API shows them, `current` for the caller's own. */
export async function listSessions(userId: string, currentSessionId: string): Promise<ListedSession[]> {
  const rows = await listLiveSessions(userId);
  return rows.map((row) => ({
    id: row.id,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt.toISOString(),
    expires_at: row.expiresAt.toISOString(),
    current: row.id === currentSessionId,
    user_agent: row.userAgent,
    ip: row.ip,
  }));
}
