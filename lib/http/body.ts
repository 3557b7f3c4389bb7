import { HttpError } from './errors';

/** Auth requests are a few hundred bytes; anything larger is refused before it is read in full. */
export const MAX_BODY_BYTES = 16 * 1024;

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

function mediaType(request: Request): { type: string; charset?: string } {
  const header = request.headers.get('content-type') ?? '';
  const [type = '', ...params] = header.split(';').map((part) => part.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  return { type, charset };
}

/** True for an OAuth2-style urlencoded form body. */
export function isForm(request: Request): boolean {
  return mediaType(request).type === FORM_TYPE;
}

const tooLarge = () =>
  new HttpError(413, 'payload_too_large', `The request body must be at most ${MAX_BODY_BYTES} bytes.`);

/**
 * On the paths proxy.ts covers, Next.js hands the route a body cut at `proxyClientMaxBodySize`
 * (next.config.ts) without saying so. A cut is visible only against a declared Content-Length, so
 * there a body must declare its length: one sent in chunks of unknown total is refused with 411.
 * (A request without a body sends neither header.)
 */
export function requireDeclaredLength(request: Request): void {
  if (request.headers.has('transfer-encoding') && !request.headers.has('content-length')) {
    throw new HttpError(411, 'length_required', 'Send the request body with a Content-Length header.');
  }
}

async function readText(request: Request): Promise<string> {
  const declared = Number(request.headers.get('content-length'));
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  if (!request.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  // Fewer bytes than declared: the body was cut on its way (Next.js does that to bodies over its cap).
  if (declared > 0 && size < declared) throw tooLarge();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new HttpError(400, 'malformed_body', 'The request body is not valid UTF-8.');
  }
}

/**
 * Reads a JSON body (and, where `form` is allowed, an OAuth2-style urlencoded form) into a plain value
 * for zod to validate. Wrong content type 415, too large 413, unparseable 400.
 */
export async function readBody(request: Request, options: { form?: boolean } = {}): Promise<unknown> {
  const { type, charset } = mediaType(request);
  const isJson = type === JSON_TYPE || /^application\/[a-z0-9.+-]+\+json$/.test(type);
  const isForm = options.form === true && type === FORM_TYPE;
  if (!isJson && !isForm) {
    const accepted = options.form ? `${JSON_TYPE} or ${FORM_TYPE}` : JSON_TYPE;
    throw new HttpError(415, 'unsupported_media_type', `Send the body as Content-Type: ${accepted}.`);
  }
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpError(415, 'unsupported_media_type', 'Send the body encoded as UTF-8.');
  }
  const text = await readText(request);

  if (isForm) {
    const params = new URLSearchParams(text);
    const body: Record<string, string> = Object.create(null);
    for (const [key, value] of params) {
      // OAuth 2.0 (RFC 6749 section 3.2): a parameter must not appear more than once.
      if (Object.hasOwn(body, key)) throw new HttpError(400, 'malformed_body', `The form field "${key}" appears more than once.`);
      body[key] = value;
    }
    return body;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'malformed_json', 'The request body is not valid JSON.');
  }
}
