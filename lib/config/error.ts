/** A setting is missing or unusable; its message names the variable and says what to write. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
