import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { expect, test } from '../support/fixtures';

type Document = { openapi: string; paths: Record<string, Record<string, unknown>>; components: { securitySchemes: object } };

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * The URL path of every route handler under app/: folders are segments, (groups) are dropped, [param]
 * becomes {param}. Catch-alls ([...path]) are skipped: the JSON 404 for unknown paths is no operation.
 */
function appRoutes(): string[] {
  const appDir = path.join(process.cwd(), 'app');
  const files = fs.readdirSync(appDir, { recursive: true, encoding: 'utf8' }).filter((f) => /(^|\/)route\.tsx?$/.test(f));
  const routes: string[] = [];
  for (const file of files) {
    const segments = path.dirname(file).split(path.sep).filter((s) => s !== '.' && !/^\(.*\)$/.test(s));
    if (segments.some((s) => s.startsWith('[...') || s.startsWith('[[...'))) continue;
    routes.push('/' + segments.map((s) => s.replace(/^\[(.+)\]$/, '{$1}')).join('/'));
  }
  return routes.sort();
}

test.describe('GET /openapi.json', () => {
  test('is a valid OpenAPI 3.1 document', async ({ api }) => {
    const response = await api.get('/openapi.json');
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toContain('application/json');
    const document = (await response.json()) as Document;
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  test("lints clean with Redocly's recommended rules: 0 errors, 0 warnings", async ({ api }) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-'));
    const file = path.join(dir, 'openapi.json');
    fs.writeFileSync(file, await (await api.get('/openapi.json')).text());
    const cli = path.join(process.cwd(), 'node_modules', '.bin', 'redocly');
    // No telemetry and no update check: the machine may have no internet, and tests send nothing out.
    const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
    const output = await new Promise<string>((resolve) =>
      execFile(cli, ['lint', '--extends=recommended', '--format=json', file], { env, cwd: dir, timeout: 60_000 }, (_error, stdout) => resolve(stdout)),
    );
    fs.rmSync(dir, { recursive: true, force: true });
    const report = JSON.parse(output) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  test('the error codes: each answer lists the codes it can carry, and the Error schema every code the server has', async ({ api }) => {
    const document = (await (await api.get('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { allOf?: object[]; properties?: { error?: { enum?: string[] } } } }> }> }>>;
      components: { schemas: { Error: { properties: { error: { enum: string[] } } } } };
    };
    // Every code written in the source (HttpError(status, 'code', ...)) is documented, and nothing else.
    const sources = fs
      .readdirSync('lib', { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => fs.readFileSync(path.join('lib', f), 'utf8'))
      .join('\n');
    // And the codes a schema answers with (OAuth2's unsupported_grant_type: lib/http/validate.ts).
    const wire = fs.readFileSync('lib/auth/wire/schemas.ts', 'utf8');
    const written = [...new Set([...sources.matchAll(/HttpError\(\s*\d{3},\s*'([a-z_]+)'/g), ...wire.matchAll(/status: \d{3}, code: '([a-z_]+)'/g)].map((m) => m[1]!))].sort();
    expect(document.components.schemas.Error.properties.error.enum).toEqual(written);
    const login = document.paths['/auth/login']!.post!.responses;
    expect(login['401']!.content!['application/json']!.schema.properties!.error!.enum).toEqual(['invalid_credentials']);
    const me = document.paths['/auth/me']!.get!.responses;
    expect(me['401']!.content!['application/json']!.schema.properties!.error!.enum).toEqual(['unauthorized', 'invalid_token']);
    expect(JSON.stringify(me['401'])).not.toMatch(/password/);
    for (const [route, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const status of ['429', '503']) {
          const answer = operation.responses[status] as { headers?: Record<string, unknown> } | undefined;
          if (answer) expect(answer.headers?.['Retry-After'], `${method} ${route} ${status}`).toBeDefined();
        }
      }
    }
  });

  test('no generator leftovers: no ±2^53 integer bounds, no regex beside a uuid or date-time format, no request default that a client generator would make required', async ({ api }) => {
    const text = await (await api.get('/openapi.json')).text();
    expect(text).not.toContain(String(Number.MAX_SAFE_INTEGER));
    const walk = (node: unknown, io: 'request' | 'response', where: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const schema = node as Record<string, unknown>;
      if (schema.format === 'uuid' || schema.format === 'date-time') expect(schema.pattern, where).toBeUndefined();
      if (io === 'request') expect(schema.default, where).toBeUndefined();
      for (const [key, value] of Object.entries(schema)) walk(value, io, `${where}/${key}`);
    };
    const document = JSON.parse(text) as { components: { schemas: Record<string, unknown> } };
    for (const [name, schema] of Object.entries(document.components.schemas)) walk(schema, /Request$|Form$/.test(name) ? 'request' : 'response', name);
    expect((document.components.schemas.LogoutRequest as { required?: string[] }).required ?? []).toEqual([]);
  });

  test('the validator does catch a broken document (so "valid" above means something)', async ({ api }) => {
    const document = (await (await api.get('/openapi.json')).json()) as Document;
    document.paths['/broken'] = { get: { responses: { 200: { content: 'nope' } } } };
    expect((await new Validator().validate(document)).valid).toBe(false);
  });

  test('documents every route under app/ with exactly the methods the server answers', async ({ api, account }) => {
    const document = (await (await api.get('/openapi.json')).json()) as Document;
    const routes = appRoutes();
    expect(routes).toEqual(expect.arrayContaining(['/', '/auth/login', '/auth/me', '/.well-known/jwks.json', '/openapi.json']));
    // And nothing documented that no route file serves.
    expect(Object.keys(document.paths).sort()).toEqual(routes);

    for (const route of routes) {
      const url = route.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
      const answered: string[] = [];
      for (const method of METHODS) {
        // With a valid token, so that protected paths get past proxy.ts to the route's own answer.
        const response = await api.fetch(url, { method, headers: { authorization: `Bearer ${account.token}` } });
        // A method counts as answered only when the route handles it: a 5xx is a failure, not an answer.
        expect(response.status(), `${method} ${route}`).toBeLessThan(500);
        if (response.status() === 405) expect((await response.json()).error, `${method} ${route}`).toBe('method_not_allowed');
        else answered.push(method.toLowerCase());
      }
      expect(Object.keys(document.paths[route]!).sort(), `methods of ${route}`).toEqual(answered.sort());
    }
  });

  test('request bodies come from the zod schemas, on their input side', async ({ api }) => {
    const document = (await (await api.get('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> }; security?: unknown }>>;
      components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>>; required: string[]; additionalProperties?: boolean }> };
    };
    const { schemas } = document.components;
    // registerRequest: strict object, the email pipe's input (with the format stated), the password rule.
    expect(schemas.RegisterRequest).toMatchObject({
      required: ['email', 'password'],
      additionalProperties: false,
      properties: { email: { type: 'string', format: 'email', maxLength: 254 }, password: { type: 'string', minLength: 8 } },
    });
    // loginForm's transform (username -> email) is not shown: clients send username.
    expect(schemas.LoginForm!.required).toEqual(['username', 'password']);
    expect(Object.keys(document.paths['/auth/login']!.post!.requestBody!.content).sort()).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
    ]);
    expect(schemas.Error).toMatchObject({ required: ['error', 'message'] });
    expect(schemas.User!.required).toEqual(['id', 'email', 'is_active', 'email_verified', 'two_factor_enabled', 'created_at']);
    expect(document.paths['/auth/me']!.get!.security).toEqual([{ bearerAuth: [] }]);
    expect(document.paths['/auth/login']!.post!.security).toEqual([]);
  });

  test('declares the bearer and refresh-cookie security schemes and the error shape on every operation', async ({ api }) => {
    const document = (await (await api.get('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(document.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
      refreshCookie: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: '__Secure-refresh_token' }),
    });
    // Logout takes either; nothing else takes the cookie.
    expect((document.paths['/auth/logout']!.post as unknown as { security: unknown }).security).toEqual([{ bearerAuth: [] }, { refreshCookie: [] }]);
    for (const [route, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const error = operation.responses['500']?.content?.['application/json']?.schema as { allOf?: unknown[] } | undefined;
        expect(error?.allOf, `${method} ${route}`).toEqual([{ $ref: '#/components/schemas/Error' }]);
      }
    }
  });

  test('every {parameter} of a path is declared on each of its operations, with its schema', async ({ api }) => {
    const document = (await (await api.get('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string; required: boolean; schema: object }[] }>>;
    };
    const withParameters = Object.keys(document.paths).filter((route) => route.includes('{'));
    expect(withParameters).toContain('/auth/sessions/{id}');
    for (const [route, item] of Object.entries(document.paths)) {
      const names = [...route.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, operation] of Object.entries(item)) {
        const declared = (operation.parameters ?? []).filter((p) => p.in === 'path');
        expect(declared.map((p) => p.name).sort(), `${method} ${route}`).toEqual(names.sort());
        for (const parameter of declared) {
          expect(parameter.required, `${method} ${route} ${parameter.name}`).toBe(true);
          expect(parameter.schema, `${method} ${route} ${parameter.name}`).toMatchObject({ type: 'string' });
        }
      }
    }
    expect(document.paths['/auth/sessions/{id}']!.delete!.parameters![0]!.schema).toMatchObject({ format: 'uuid' });
  });

  test('GET / lists the same operations', async ({ api }) => {
    const document = (await (await api.get('/openapi.json')).json()) as Document;
    const operations = Object.entries(document.paths).flatMap(([route, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${route}`));
    const index = (await (await api.get('/')).json()) as { endpoints: string[]; openapi: string };
    expect(index.endpoints.sort()).toEqual(operations.sort());
    expect(index.openapi).toBe('/openapi.json');
  });
});
