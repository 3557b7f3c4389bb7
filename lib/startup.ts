import { ConfigError, readConfig } from './config';

/**
 * Stops a production server at start when a setting is missing or unusable, listing every problem at
 * once with what to set, instead of failing on the first request.
 */
export function checkConfigOrExit(): void {
  try {
    readConfig(process.env, { strict: true });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`\nCannot start: ${error.message}\n`);
    process.exit(1);
  }
}
