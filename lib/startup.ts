import { readAuthConfig } from './auth/config';
import { readRateLimitConfig } from './auth/rate-limit';
import { trustedProxyHops } from './http/client-address';
import { ConfigError, databaseUrl } from './db/url';
import { readMailConfig } from './mail/config';

/** Stops the server at start when a required setting is missing or unusable, saying what to set. */
export function checkConfigOrExit(): void {
  try {
    readAuthConfig();
    readRateLimitConfig();
    trustedProxyHops();
    databaseUrl();
    readMailConfig(process.env); // checks settings only: the mail server is not contacted at start
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`\nCannot start: ${error.message}\n`);
    process.exit(1);
  }
}
