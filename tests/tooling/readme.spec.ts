import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, test } from '../support/fixtures';

/**
 * The README's curl walkthrough, run as written (only the base URL changes: the test server instead
 * of `npm run dev` on port 3000), each answer checked against the one the README shows.
 */
type Step = { command: string; expected?: string };

/** The README's walkthrough, then its continuation in docs/walkthrough.md: one script, in that order. */
function walkthrough(): Step[] {
  const section = ['README.md', 'docs/walkthrough.md']
    .map((file) => readFileSync(file, 'utf8'))
    .map((text) => text.slice(text.indexOf('<!-- curl:begin -->'), text.indexOf('<!-- curl:end -->')))
    .join('\n');
  const steps: Step[] = [];
  for (const [, lang, body] of section.matchAll(/```(sh|text)\n([\s\S]*?)```/g)) {
    if (lang === 'sh') steps.push({ command: body! });
    else steps[steps.length - 1]!.expected = body!.trim();
  }
  return steps;
}

/** "…" in the README stands for a value that differs each run: the key must be there, any value. */
function expectJsonLike(actual: unknown, expected: unknown): void {
  if (expected === '…') return expect(actual).toBeDefined();
  if (expected && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort()).toEqual(Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected)) expectJsonLike((actual as Record<string, unknown>)[key], value);
    return;
  }
  expect(actual).toEqual(expected);
}

test('the README curl walkthrough works as written and answers as shown', async () => {
  // The two-factor steps wait for the authenticator's next code: up to 30 s.
  test.setTimeout(150_000);
  const steps = walkthrough();
  expect(steps.length).toBeGreaterThanOrEqual(10);
  const base = process.env.TEST_BASE_URL!;
  const script = steps.map((step, i) => `echo '@@step ${i}@@'\n${step.command.replaceAll('http://localhost:3000', base)}`).join('\n');
  const output = await new Promise<string>((resolve, reject) =>
    execFile('bash', ['-c', `set -euo pipefail\n${script}`], { timeout: 120_000, env: { ...process.env, LOCAL_MAIL_DIR: process.env.TEST_MAIL_DIR } }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}\n${stdout}`)) : resolve(stdout),
    ),
  );
  const answers = output.split(/@@step \d+@@\n/).slice(1);
  expect(answers).toHaveLength(steps.length);

  steps.forEach((step, i) => {
    if (!step.expected) return;
    const answer = answers[i]!.replace(/\r/g, '');
    const [expectedStatus, ...expectedBody] = step.expected.split('\n');
    expect(answer.split('\n')[0], `step ${i}: ${step.command}`).toBe(expectedStatus);
    const body = answer.slice(answer.indexOf('\n\n') + 2).trim();
    if (expectedBody.length === 0) return expect(body, `step ${i}`).toBe('');
    expectJsonLike(JSON.parse(body), JSON.parse(expectedBody.join('\n')));
  });
});
