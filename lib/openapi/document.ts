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

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The body is not valid JSON, or a form field appears twice.',
  401: 'No valid credentials: a missing, malformed, expired or revoked access token (the WWW-Authenticate header says which), or a wrong email or password.',
  403: 'The account is deactivated, or its email is not verified yet (EMAIL_VERIFICATION=required), or (password change) the current password is wrong.',
  404: 'Nothing at this path.',
  409: 'Conflict: for example, the email is already registered.',
  411: 'The body was sent without a Content-Length (in chunks): on an endpoint that needs an access token, a body must declare its length.',
  413: `The body is larger than ${MAX_BODY_BYTES} bytes.`,
  415: 'The body is not in an accepted Content-Type, or not UTF-8.',
  422: 'Some fields are invalid: `fields` names each one with a message.',
  429: 'Too many attempts: wait the Retry-After header\'s seconds.',
  500: 'An unexpected error on the server.',
  503: 'The database is unavailable; retry after the Retry-After header\'s seconds.',
};

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: object) => ({ 'application/json': { schema } });

/** The JSON Schema of one zod schema; `$schema` is dropped (OpenAPI 3.1 sets the dialect). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const result: Record<string, unknown> = { ...z.toJSONSchema(schema, { io, target: 'draft-2020-12' }) };
  delete result.$schema;
  return result;
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

function describeOperation(op: Endpoint): Record<string, unknown> {
  const errors = [...(op.errors ?? []), ...(op.body ? BODY_ERRORS : op.params ? [422] : []), ...(op.auth ? [401] : []), ...(op.body && op.auth ? GUARDED_BODY_ERRORS : []), 500].map((e) =>
    typeof e === 'number' ? { status: e, description: ERROR_DESCRIPTIONS[e] ?? 'An error.', schema: 'Error' as const } : e,
  );
  const responses: Record<string, unknown> = {
    [op.ok.status]: {
      description: op.ok.description,
      ...(op.ok.status === 204 ? {} : { content: jsonContent(op.ok.schema ? ref(op.ok.schema) : { type: 'object' }) }),
    },
  };
  for (const { status, description, schema } of errors.sort((a, b) => a.status - b.status)) {
    responses[status] ??= { description, content: jsonContent(ref(schema)) };
  }
  const content: Record<string, unknown> = {};
  if (op.body?.json) content['application/json'] = { schema: ref(op.body.json) };
  if (op.body?.form) content['application/x-www-form-urlencoded'] = { schema: ref(op.body.form) };
  return {
    operationId: operationId(op),
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(op.auth ? { security: op.auth === 'user' ? [{ bearerAuth: [] }] : [{ bearerAuth: [] }, { refreshCookie: [] }] } : {}),
    ...(op.params ? { parameters: describeParameters(op) } : {}),
    ...(op.body ? { requestBody: { required: !op.body.optional, content } } : {}),
    responses,
  };
}

function buildDocument(): Record<string, unknown> {
  const requestSchemas = new Set(allEndpoints.flatMap((op) => [op.body?.json, op.body?.form]).filter(Boolean));
  const components = Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => [name, jsonSchema(schema, requestSchemas.has(name as SchemaName) ? 'input' : 'output')]),
  );
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
    },
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
