/**
 * The one error shape every route answers with:
 *   { "error": "<stable_code>", "message": "<what to do>", "fields"?: { "<field>": "<message>" } }
 */
export type ErrorBody = { error: string; message: string; fields?: Record<string, string> };

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly fields?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  body(): ErrorBody {
    return this.fields
      ? { error: this.code, message: this.message, fields: this.fields }
      : { error: this.code, message: this.message };
  }
}

export const validationError = (fields: Record<string, string>) =>
  new HttpError(422, 'validation_error', 'Some fields are invalid: see "fields".', {}, fields);

export const methodNotAllowed = (allowed: readonly string[]) =>
  new HttpError(405, 'method_not_allowed', `This path answers ${allowed.join(', ')} only.`, {
    Allow: allowed.join(', '),
  });

export const notFound = () => new HttpError(404, 'not_found', 'There is nothing at this path.');

export const serviceUnavailable = () =>
  new HttpError(503, 'service_unavailable', 'The database is unavailable. Try again shortly.', {
    'Retry-After': '5',
  });

export const internalError = () =>
  new HttpError(500, 'internal_error', 'Something went wrong on our side. Try again later.');
