import { bcryptWorkers } from './auth/bcrypt-config';
import { readAuthConfig } from './auth/config';
import { readRateLimitConfig } from './auth/rate-limit';
import { trustedProxyHops } from './http/client-address';
import { ConfigError, databaseUrl } from './db/url';

/** Stops the server at start when a required setting is missing or unusable, saying what to set. */
export function checkConfigOrExit(): void {
  try {
    readAuthConfig();
    readRateLimitConfig();
    bcryptWorkers();
    trustedProxyHops();
    databaseUrl();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`\nCannot start: ${error.message}\n`);
    process.exit(1);
  }
}
