/**
 * Builds the OpenAPI 3.1 document from the endpoint declarations (lib/api/endpoints.ts) and the zod
 * schemas they name: nothing
 * here is written by hand twice. OpenAPI 3.1 schemas are JSON Schema draft 2020-12, which is what
 * z.toJSONSchema produces. Request bodies are shown on their input side (what a client sends, before
 * trimming and normalising transforms), responses on their output side.
 */
import { z } from 'zod';
import pkg from '../../package.json';
import { MAX_BODY_BYTES } from '../http/body';
import { REFRESH_COOKIE } from '../http/refresh-cookie';
import { allEndpoints, schemas, type Endpoint, type SchemaName } from '../api/endpoints';

/** What each status means where an endpoint does not say more, and the codes (`error`) it comes with. */
const USUAL_ERRORS: Record<number, { description: string; codes: readonly string[] }> = {
  400: { description: 'The body is not valid JSON, or a form field appears twice.', codes: ['malformed_json', 'malformed_body'] },
  401: {
    description: 'No valid access token: missing, malformed, forged, expired, or its session has ended (WWW-Authenticate says which).',
    codes: ['unauthorized', 'invalid_token'],
  },
  411: { description: 'On an endpoint that needs an access token, a body must be sent with a Content-Length (not in chunks).', codes: ['length_required'] },
  413: { description: `The body is larger than ${MAX_BODY_BYTES} bytes.`, codes: ['payload_too_large'] },
  415: { description: 'The body is not in an accepted Content-Type, or not UTF-8.', codes: ['unsupported_media_type'] },
  422: { description: 'Some fields (or path parameters) are invalid: `fields` names each one with a message.', codes: ['validation_error'] },
  429: { description: "Too many attempts: wait the Retry-After header's seconds.", codes: ['rate_limited'] },
  500: { description: 'An unexpected error on the server.', codes: ['internal_error'] },
  501: { description: 'This server sends no email (SMTP_URL=off), so this is not available.', codes: ['mail_disabled'] },
  503: { description: "The database is unavailable; retry after the Retry-After header's seconds.", codes: ['service_unavailable'] },
};

/** The statuses whose answers carry Retry-After (seconds). */
const RETRY_AFTER = new Set([429, 503]);

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: object) => ({ 'application/json': { schema } });

/**
 * The JSON Schema of one zod schema; `$schema` is dropped (OpenAPI 3.1 sets the dialect), and so is
 * what only a generator's internals need: the ±2^53 bounds zod puts on every integer, and the long
 * regular expressions beside a `format` that says the same (uuid, date-time). On the request side a
 * `default` becomes words in the description, so that generated clients keep the field optional.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const result = tidy(z.toJSONSchema(schema, { io, target: 'draft-2020-12' }), io) as Record<string, unknown>;
  delete result.$schema;
  return result;
}

const FORMATS_WITHOUT_PATTERN = new Set(['uuid', 'date-time']);

function tidy(node: unknown, io: 'input' | 'output'): unknown {
  if (Array.isArray(node)) return node.map((item) => tidy(item, io));
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = tidy(value, io);
  if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
  if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
  if (typeof out.format === 'string' && FORMATS_WITHOUT_PATTERN.has(out.format)) delete out.pattern;
  if (io === 'input' && 'default' in out) {
    const said = `Default: ${JSON.stringify(out.default)}.`;
    out.description = typeof out.description === 'string' ? `${out.description} ${said}` : said;
    delete out.default;
  }
  return out;
}

/** "post", "/.well-known/jwks.json" -> "postWellKnownJwksJson" */
function operationId({ method, path }: Endpoint): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method.toLowerCase() + (words.length ? words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('') : 'Root');
}

/** Statuses every body-reading endpoint can answer (lib/http/body.ts, lib/http/validate.ts). */
const BODY_ERRORS = [400, 413, 415, 422];
/** And one behind proxy.ts, whose bodies Next.js cuts at a cap (requireDeclaredLength in lib/http/body.ts). */
const GUARDED_BODY_ERRORS = [411];

/** The path parameters, each `{name}` of the path with its schema. */
function describeParameters(op: Endpoint): Record<string, unknown>[] {
  return Object.entries(op.params ?? {}).map(([name, schema]) => ({
    name,
    in: 'path',
    required: true,
    ...(schema.description ? { description: schema.description } : {}),
    schema: jsonSchema(schema, 'input'),
  }));
}

type Answer = { status: number; description: string; schema: object };

/** Every answer but the success one, each error with the codes this endpoint sends with its status. */
function otherAnswers(op: Endpoint): Answer[] {
  const declared = [
    ...(op.errors ?? []),
    ...(op.body ? BODY_ERRORS : op.params ? [422] : []),
    ...(op.auth ? [401] : []),
    ...(op.body && op.auth ? GUARDED_BODY_ERRORS : []),
    500,
  ];
  const answers = new Map<number, Answer>();
  for (const entry of declared) {
    const { status } = typeof entry === 'number' ? { status: entry } : entry;
    if (answers.has(status)) continue; // the endpoint's own words come first and win
    if (typeof entry === 'object' && 'schema' in entry) {
      const schema = entry.codes ? { oneOf: [ref(entry.schema), errorSchema(entry.codes)] } : ref(entry.schema);
      answers.set(status, { status, description: entry.description, schema });
      continue;
    }
    const usual = USUAL_ERRORS[status];
    if (!usual && typeof entry === 'number') throw new Error(`${op.method} ${op.path}: say what ${status} means here (failure(...))`);
    const { description, codes } = typeof entry === 'object' ? entry : usual!;
    answers.set(status, { status, description, schema: errorSchema(codes) });
  }
  return [...answers.values()].sort((a, b) => a.status - b.status);
}

/** The Error shape, narrowed to the codes one answer can carry. */
function errorSchema(codes: readonly string[]): object {
  return { allOf: [ref('Error')], properties: { error: { type: 'string', enum: [...codes] } } };
}

const RETRY_AFTER_HEADER = {
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 1 } },
};

function describeOperation(op: Endpoint): Record<string, unknown> {
  const responses: Record<string, unknown> = {
    [op.ok.status]: {
      description: op.ok.description,
      ...(op.ok.status === 204 ? {} : { content: jsonContent(op.ok.schema ? ref(op.ok.schema) : { type: 'object' }) }),
    },
  };
  for (const { status, description, schema } of otherAnswers(op)) {
    responses[status] = { description, ...(RETRY_AFTER.has(status) ? { headers: RETRY_AFTER_HEADER } : {}), content: jsonContent(schema) };
  }
  const content: Record<string, unknown> = {};
  if (op.body?.json) content['application/json'] = { schema: ref(op.body.json) };
  if (op.body?.form) content['application/x-www-form-urlencoded'] = { schema: ref(op.body.form) };
  return {
    operationId: operationId(op),
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    // Public operations say so: an empty list overrides nothing, but tells readers and linters.
    security: op.auth === 'user' ? [{ bearerAuth: [] }] : op.auth ? [{ bearerAuth: [] }, { refreshCookie: [] }] : [],
    ...(op.params ? { parameters: describeParameters(op) } : {}),
    ...(op.body ? { requestBody: { required: !op.body.optional, content } } : {}),
    responses,
  };
}

/** Codes answered before any operation is reached: an unreadable path or request, an unknown path or method. */
const EDGE_CODES = ['bad_request', 'not_found', 'method_not_allowed'];

/** Every code the API sends, for the Error schema's enum. */
function allCodes(): string[] {
  const codes = new Set<string>(EDGE_CODES);
  for (const op of allEndpoints) for (const answer of otherAnswers(op)) for (const code of enumOf(answer.schema)) codes.add(code);
  return [...codes].sort();
}

function enumOf(schema: object): string[] {
  const { oneOf } = schema as { oneOf?: object[] };
  if (oneOf) return oneOf.flatMap(enumOf);
  const error = (schema as { properties?: { error?: { enum?: string[] } } }).properties?.error;
  return error?.enum ?? [];
}

function buildDocument(): Record<string, unknown> {
  const requestSchemas = new Set(allEndpoints.flatMap((op) => [op.body?.json, op.body?.form]).filter(Boolean));
  const components = Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => [name, jsonSchema(schema, requestSchemas.has(name as SchemaName) ? 'input' : 'output')]),
  );
  const error = components.Error as { properties: Record<string, Record<string, unknown>> };
  error.properties.error = { ...error.properties.error, enum: allCodes() };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of allEndpoints) (paths[op.path] ??= {})[op.method.toLowerCase()] = describeOperation(op);

  return {
    openapi: '3.1.0',
    info: {
      title: pkg.name,
      version: pkg.version,
      description:
        'Email and password accounts with JWT access tokens. Every error answers the `Error` shape. ' +
        'Send the token from POST /auth/login as `Authorization: Bearer <token>`.',
      license: { name: pkg.license, identifier: pkg.license },
    },
    // Relative: the API is wherever this document was fetched from.
    servers: [{ url: '/', description: 'The server that serves this document.' }],
    tags: [
      { name: 'auth', description: 'Accounts, logins and tokens.' },
      { name: 'service', description: 'About the service itself.' },
    ],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An access token from POST /auth/login (JWT; HS256, or EdDSA/ES256 with keys at /.well-known/jwks.json).',
        },
        refreshCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: REFRESH_COOKIE,
          description: 'The httpOnly refresh cookie a login with `"refresh_cookie": true` set (browsers on an origin in CORS_ORIGINS only).',
        },
      },
    },
  };
}

let cached: Record<string, unknown> | undefined;

/** The document, built once per process (it depends on the code only, not on settings). */
export function openApiDocument(): Record<string, unknown> {
  return (cached ??= buildDocument());
}
