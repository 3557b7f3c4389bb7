/** Environment variables, as process.env or a plain object in tests. */
export type Env = Record<string, string | undefined>;
