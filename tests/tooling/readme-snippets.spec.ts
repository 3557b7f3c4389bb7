/**
 * The README's "Your own code" snippets, run as written (only the base URL changes to a test server's):
 * a protected route of one's own (declaration and handler added to a scratch copy of the app, compiled
 * with tsc and called), a token verified in a separate Node process with jose against the JWKS, and a
 * typed client generated from /openapi.json, compiled under strict TypeScript and run.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { exportPKCS8, generateKeyPair } from 'jose';
import { expect, PASSWORD, registerAndLogin, test, uniqueEmail } from '../support/fixtures';
import { serverEnv, startServer, type TestServer } from '../support/server';

/** The code block after `<!-- snippet:name -->` in the README. */
function snippet(name: string): string {
  const readme = fs.readFileSync('README.md', 'utf8');
  const at = readme.indexOf(`<!-- snippet:${name} -->`);
  expect(at, name).toBeGreaterThan(0);
  return /```\w*\n([\s\S]*?)```/.exec(readme.slice(at))![1]!;
}

/** A folder inside the project (so that node_modules resolves), removed after the test. */
function scratch(name: string): string {
  const dir = path.join(process.cwd(), '.data', `readme-${name}-${process.pid}-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  test.info().attach('scratch', { body: dir });
  return dir;
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(command, args, { timeout: 120_000, ...options, env: options.env ?? process.env }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

const bin = (name: string) => path.join(process.cwd(), 'node_modules', '.bin', name);

test('"Protect your own route": the declaration and handler, added to the app, compile and answer 401 without a token, 200 with one', async () => {
  test.setTimeout(180_000);
  const dir = scratch('route');
  try {
    for (const entry of ['app', 'lib', 'proxy.ts', 'package.json', 'tsconfig.json']) fs.cpSync(entry, path.join(dir, entry), { recursive: true });
    const endpointsFile = path.join(dir, 'lib/api/endpoints.ts');
    const source = fs.readFileSync(endpointsFile, 'utf8');
    const opening = 'export const endpoints = {\n';
    expect(source).toContain(opening);
    fs.writeFileSync(endpointsFile, source.replace(opening, opening + snippet('own-route-declaration')));
    const handler = snippet('own-route-handler');
    const file = /^\/\/ (\S+)/.exec(handler)![1]!;
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), handler);
    fs.writeFileSync(path.join(dir, 'tsconfig.check.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { incremental: false }, include: ['app/**/*.ts', 'lib/**/*.ts', 'proxy.ts'] }));
    await run(bin('tsc'), ['--noEmit', '-p', path.join(dir, 'tsconfig.check.json')]);

    // Call the route as Next.js would, in a process of its own on the test database.
    const { token, email } = await registerAndLogin(process.env.TEST_BASE_URL!);
    fs.writeFileSync(
      path.join(dir, 'call.ts'),
      `import { NextRequest } from 'next/server';
import { guardOf } from './lib/api/guarded-paths';
import { GET } from './${file.replace(/\.ts$/, '')}';
const call = async (headers: Record<string, string>) => {
  const response = await GET(new NextRequest('http://localhost/auth/greeting', { headers }), { params: Promise.resolve({}) });
  return { status: response.status, body: await response.json() };
};
console.log(JSON.stringify({ guard: guardOf('/auth/greeting'), without: await call({}), with: await call({ authorization: 'Bearer ${token}' }) }));
process.exit(0);
`,
    );
    const env: NodeJS.ProcessEnv = { ...serverEnv(), NODE_ENV: 'test', DATABASE_URL: process.env.TEST_DATABASE_URL, JWT_SECRET: process.env.TEST_JWT_SECRET };
    const output = JSON.parse(await run(bin('tsx'), ['--tsconfig', path.join(dir, 'tsconfig.json'), path.join(dir, 'call.ts')], { cwd: dir, env }));
    expect(output).toEqual({
      guard: 'user', // proxy.ts guards it, from the declaration
      without: { status: 401, body: { error: 'unauthorized', message: expect.any(String) } },
      with: { status: 200, body: { message: `Hello, ${email}` } },
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.describe('with JWT_PRIVATE_KEY', () => {
  let server: TestServer;
  test.beforeAll(async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    server = await startServer(serverEnv({ JWT_SECRET: undefined, JWT_PRIVATE_KEY: await exportPKCS8(privateKey) }));
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  test('"Verify tokens in another service": a separate Node process verifies with the JWKS, refuses a tampered token; /auth/me tells an ended session', async () => {
    const dir = scratch('verify');
    try {
      const code = snippet('verify-token').replaceAll('http://localhost:3000', server.url);
      fs.writeFileSync(path.join(dir, 'verify-token.mjs'), code);
      const verify = (token: string) =>
        run(process.execPath, [
          '--input-type=module',
          '-e',
          `import { verifyAccessToken } from ${JSON.stringify(path.join(dir, 'verify-token.mjs'))};
           verifyAccessToken(process.argv[1]).then((p) => console.log(JSON.stringify({ ok: p })), (e) => console.log(JSON.stringify({ refused: e.code })));`,
          token,
        ]).then((out) => JSON.parse(out));
      const { id, token } = await registerAndLogin(server.url);
      expect(await verify(token)).toEqual({ ok: expect.objectContaining({ sub: id, sid: expect.any(String), iss: 'neon-next-auth', aud: 'neon-next-auth-api' }) });
      const [header, payload, signature] = token.split('.');
      const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: crypto.randomUUID() })).toString('base64url');
      expect(await verify(`${header}.${forgedPayload}.${signature}`)).toEqual({ refused: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });

      // What the README says a verifier must still ask: after logout the signature still verifies, /auth/me does not.
      const logout = await fetch(`${server.url}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(logout.status).toBe(204);
      expect(await verify(token)).toEqual({ ok: expect.objectContaining({ sub: id }) });
      expect((await fetch(`${server.url}/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('"A typed client": generated from /openapi.json, compiles under strict TypeScript, and registers, logs in and reads /auth/me', async () => {
  test.setTimeout(300_000);
  const base = process.env.TEST_BASE_URL!;
  const dir = scratch('client');
  try {
    const generate = snippet('typed-client-generate').trim().replaceAll('http://localhost:3000', base);
    const [npx, ...args] = generate.split(/\s+/);
    expect(npx).toBe('npx');
    // npx runs the devDependency installed here (nothing is downloaded).
    await run(bin(args[0]!), args.slice(1), { cwd: dir });
    fs.writeFileSync(path.join(dir, 'client.ts'), snippet('typed-client').replaceAll('http://localhost:3000', base));
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, target: 'ES2022', module: 'esnext', moduleResolution: 'bundler', lib: ['ES2023', 'DOM'], noEmit: true, skipLibCheck: true }, include: ['*.ts'] }),
    );
    await run(bin('tsc'), ['-p', dir]);

    // A wrong field is a compile error, so the check above means something.
    fs.writeFileSync(path.join(dir, 'wrong.ts'), `import createClient from 'openapi-fetch';\nimport type { paths } from './api';\nawait createClient<paths>({}).POST('/auth/login', { body: { email: 'a@b.c', pasword: 'x' } });\n`);
    await expect(run(bin('tsc'), ['-p', dir])).rejects.toThrow(/pasword/);
    fs.rmSync(path.join(dir, 'wrong.ts'));

    const email = uniqueEmail('typed');
    fs.writeFileSync(path.join(dir, 'main.ts'), `import { signUpAndIn } from './client';\nconsole.log(JSON.stringify(await signUpAndIn(${JSON.stringify(email)}, ${JSON.stringify(PASSWORD)})));\n`);
    const me = JSON.parse(await run(bin('tsx'), [path.join(dir, 'main.ts')], { cwd: dir }));
    expect(me).toMatchObject({ email, is_active: true, email_verified: false });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
