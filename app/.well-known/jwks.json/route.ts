import { endpoints } from '@/lib/api/endpoints';
import { publicJwks } from '@/lib/auth/crypto/access-tokens';
import { on, route } from '@/lib/http/endpoint';

// Read at run time: the keys come from the environment, never from the build.
export const dynamic = 'force-dynamic';

/**
 * GET /.well-known/jwks.json (RFC 7517): the public keys access tokens are verified with, the current
 * one and any being retired. With HS256 (JWT_SECRET, the default) the set is empty: a shared secret is
 * never published. Public, so cacheable for a few minutes (verifiers refetch when they meet an unknown kid).
 */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.jwks, async ({ headers }) => {
    headers.set('Cache-Control', 'public, max-age=300');
    return publicJwks();
  }),
);
