import type { z } from 'zod';
import { validationError } from './errors';

/** Validates with a zod schema; on failure a 422 naming each bad field with one message. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields[key] ??= 'This field is not accepted here.';
      continue;
    }
    const name = issue.path.length ? issue.path.join('.') : 'body';
    fields[name] ??= issue.message;
  }
  throw validationError(fields);
}
