import type { z } from 'zod';
import type { Account } from '../store/users';
import type { userResponse } from './schemas';

/** What a client may see of a user (userResponse): never the hash, nor the two-factor secret. */
export type PublicUser = z.infer<typeof userResponse>;

/** The one mapping from a stored account to what a client sees of it. */
export function publicUser(account: Account): PublicUser {
  return {
    id: account.id,
    email: account.email,
    is_active: account.isActive,
    email_verified: account.emailVerifiedAt !== null,
    two_factor_enabled: account.twoFactorEnabled,
    created_at: account.createdAt.toISOString(),
  };
}
