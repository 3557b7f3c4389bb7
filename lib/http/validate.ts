import type { z } from 'zod';
import { HttpError, validationError } from './errors';

/**
 * Validates with a zod schema; on failure a 422 naming each bad field with one message. An issue that
 * carries its own `status` and `code` (params of a refine: OAuth2's unsupported_grant_type) is answered
 * as such instead.
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const own = issue.code === 'custom' ? (issue.params as { status?: number; code?: string } | undefined) : undefined;
    if (own?.status && own.code) throw new HttpError(own.status, own.code, issue.message);
    if (issue.path.length === 0 && issue.code === 'invalid_type') {
      fields.body = 'Send a JSON object with the fields this endpoint takes (see /openapi.json).';
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields[key] ??= 'This field is not accepted here.';
      continue;
    }
    const name = issue.path.length ? issue.path.join('.') : 'body';
    fields[name] ??= issue.message;
  }
  throw validationError(fields);
}
