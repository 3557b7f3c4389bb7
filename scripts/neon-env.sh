#!/bin/sh
# sh scripts/neon-env.sh [neonctl options]: writes Neon's pooled connection string (DATABASE_URL), its
# direct one (DATABASE_URL_UNPOOLED) and, if none is there, a JWT_SECRET into .env.local. Both URLs are
# asked for first and written together, or neither is: a failed neonctl call leaves .env.local as it was
# (never a blank DATABASE_URL=, which would mean "the local database"). Every other line is kept.
# Extra arguments go to `neonctl connection-string`, e.g. --role-name neondb_owner --database-name neondb.
set -u
neon() { npx --yes neonctl@5 connection-string --ssl verify-full "$@"; }

pooled=$(neon --pooled "$@") && [ -n "$pooled" ] ||
  { echo "neonctl gave no pooled connection string (see above): .env.local is unchanged." >&2; exit 1; }
direct=$(neon "$@") && [ -n "$direct" ] ||
  { echo "neonctl gave the pooled connection string but not the direct one (see above): .env.local is unchanged." >&2; exit 1; }

umask 077
touch .env.local
secret=
grep -q '^JWT_SECRET=' .env.local || secret=$(node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")
{
  grep -v -e '^DATABASE_URL=' -e '^DATABASE_URL_UNPOOLED=' .env.local
  printf 'DATABASE_URL=%s\nDATABASE_URL_UNPOOLED=%s\n' "$pooled" "$direct"
  [ -z "$secret" ] || printf 'JWT_SECRET=%s\n' "$secret"
} > .env.local.new && mv .env.local.new .env.local &&
echo "Wrote DATABASE_URL and DATABASE_URL_UNPOOLED${secret:+ and a new JWT_SECRET} to .env.local."
