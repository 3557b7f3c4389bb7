#!/bin/sh
# sh scripts/neon-env.sh [neonctl options]: writes Neon's pooled connection string (DATABASE_URL), its
# direct one (DATABASE_URL_UNPOOLED) and, if none is there, a JWT_SECRET into .env.local. Only those lines
# are replaced; every other line is kept; an empty value (a failed neonctl call) is refused with the file
# unchanged, so .env.local never gets a blank DATABASE_URL= (which would mean "the local database").
# Extra arguments go to `neonctl connection-string`, e.g. --role-name neondb_owner --database-name neondb.
set -u
set_env() (
  umask 077
  [ -n "$2" ] || { echo "$1 not written: no value (see the message above); .env.local is unchanged." >&2; exit 1; }
  touch .env.local
  { grep -v "^$1=" .env.local; printf '%s=%s\n' "$1" "$2"; } > .env.local.new && mv .env.local.new .env.local
)
set_env DATABASE_URL "$(npx neonctl@5 connection-string --pooled --ssl verify-full "$@")" &&
set_env DATABASE_URL_UNPOOLED "$(npx neonctl@5 connection-string --ssl verify-full "$@")" &&
{ grep -q '^JWT_SECRET=' .env.local || set_env JWT_SECRET "$(node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")"; } &&
echo "Wrote DATABASE_URL, DATABASE_URL_UNPOOLED (and JWT_SECRET if it was missing) to .env.local."
