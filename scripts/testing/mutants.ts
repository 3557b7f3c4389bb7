/**
 * npm run test:mutants [-- <name> ...] [-- --list]
 *
 * Whether the security tests can fail: plants each mutant of scripts/testing/mutant-list.ts (a known bug, as
 * exact text replacements) in a scratch copy of this tree, runs only the specs that should catch it,
 * and prints killed (a spec failed: good) or survived (every spec passed: a test is missing) per
 * mutant, then a summary. Exit 1 if any mutant survived, no longer applies (its text is not found), or
 * broke the run (the build or the test setup failed, so nothing was judged), or if the specs fail
 * without any mutant.
 *
 * The scratch copy (the working tree as it is, uncommitted changes included, with node_modules
 * hard-linked) has its own `next build` (the test setup builds it for each mutant) and its own
 * database port, MUTANTS_DB_PORT (default 54350, and the next one for the relay), so it can run
 * beside `npm test`. Logs and JSON reports go to test-results/mutants/. It takes long (a build per
 * mutant); it is not part of `npm test` or CI.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MUTANTS, type Mutant } from './mutant-list';
import { isMain, run } from '../support/run';

const ROOT = process.cwd();
const RESULTS = path.join(ROOT, 'test-results', 'mutants');

type Outcome =
  | { kind: 'killed'; by: string[] }
  | { kind: 'survived' }
  | { kind: 'stale'; detail: string }
  | { kind: 'broken'; detail: string };

/** The mutated text of each file the mutant edits, or why it no longer applies. */
export function applyEdits(mutant: Mutant, read: (file: string) => string): { files: Map<string, string> } | { stale: string } {
  const files = new Map<string, string>();
  for (const { file, from, to } of mutant.edits) {
    let text: string;
    try {
      text = files.get(file) ?? read(file);
    } catch {
      return { stale: `${file} does not exist` };
    }
    const count = text.split(from).length - 1;
    if (count !== 1) {
      return { stale: `${file}: the text to replace occurs ${count} times (must be once): ${JSON.stringify(from.slice(0, 80))}` };
    }
    files.set(file, text.replace(from, () => to));
  }
  return { files };
}

/** A copy of the working tree (tracked and untracked files, not ignored ones) with node_modules hard-linked. */
function makeScratch(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neon-next-auth-mutants-'));
  // The embedded PostgreSQL runs as its own user, which must reach the data folder inside.
  fs.chmodSync(dir, 0o755);
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' });
  for (const file of listed.split('\0').filter(Boolean)) {
    const source = path.join(ROOT, file);
    if (!fs.existsSync(source)) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(source, path.join(dir, file));
  }
  // A symlink would not do: Next's bundler refuses a node_modules outside the project's root.
  try {
    execFileSync('cp', ['-al', path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules')]);
  } catch {
    execFileSync('cp', ['-R', path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules')]);
  }
  return dir;
}

type Report = {
  errors?: { message?: string }[];
  suites?: Suite[];
  stats?: { expected: number; unexpected: number; flaky: number; skipped: number };
};
type Suite = { title: string; suites?: Suite[]; specs?: { title: string; ok: boolean }[] };

function failedTests(suites: Suite[] = [], prefix: string[] = []): string[] {
  return suites.flatMap((suite) => {
    const titles = [...prefix, suite.title].filter(Boolean);
    const own = (suite.specs ?? []).filter((spec) => !spec.ok).map((spec) => [...titles, spec.title].join(' › '));
    return [...own, ...failedTests(suite.suites, titles)];
  });
}

let running: ReturnType<typeof spawn> | undefined;

/** Runs the specs in the scratch copy with Playwright's JSON reporter; the report, or why there is none. */
async function runSpecs(
  scratch: string,
  label: string,
  specs: string[],
  options: { build: boolean; repeatEach?: number; port: number },
): Promise<{ report: Report } | { broken: string }> {
  fs.mkdirSync(RESULTS, { recursive: true });
  const reportFile = path.join(RESULTS, `${label}.json`);
  const logFile = path.join(RESULTS, `${label}.log`);
  fs.rmSync(reportFile, { force: true });
  const env: NodeJS.ProcessEnv = { ...process.env, TEST_DB_PORT: String(options.port), PLAYWRIGHT_JSON_OUTPUT_NAME: reportFile };
  delete env.CI;
  if (options.build) delete env.TEST_SKIP_BUILD;
  else env.TEST_SKIP_BUILD = '1';
  const args = [path.join('node_modules', '@playwright', 'test', 'cli.js'), 'test', ...specs, '--reporter=json'];
  if (options.repeatEach) args.push('--repeat-each', String(options.repeatEach));
  const log = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, args, { cwd: scratch, env, stdio: ['ignore', log, log] });
  running = child;
  await new Promise((resolve) => child.once('exit', resolve));
  running = undefined;
  fs.closeSync(log);
  if (!fs.existsSync(reportFile)) return { broken: `no report (see ${path.relative(ROOT, logFile)})` };
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as Report;
  // A failed global setup (the build, the database) or a file that does not load: nothing was judged.
  if (report.errors?.length) {
    const first = report.errors[0]?.message?.split('\n').slice(0, 3).join(' ') ?? 'unknown error';
    return { broken: `${first} (see ${path.relative(ROOT, logFile)})` };
  }
  if (!report.stats || report.stats.expected + report.stats.unexpected + report.stats.flaky === 0) {
    return { broken: `no test ran (see ${path.relative(ROOT, logFile)})` };
  }
  return { report };
}

function selectMutants(args: string[]): Mutant[] {
  const names = args.filter((a) => !a.startsWith('--'));
  if (names.length === 0) return MUTANTS;
  const unknown = names.filter((n) => !MUTANTS.some((m) => m.name === n));
  if (unknown.length) throw new Error(`No mutant named ${unknown.join(', ')}. Known: ${MUTANTS.map((m) => m.name).join(', ')}`);
  return MUTANTS.filter((m) => names.includes(m.name));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--list')) {
    for (const m of MUTANTS) console.log(`${m.name.padEnd(30)} ${m.description}\n${' '.repeat(31)}${m.specs.join(' ')}`);
    return;
  }
  const mutants = selectMutants(args);
  const port = Number(process.env.MUTANTS_DB_PORT) || 54350;
  const outcomes = new Map<string, Outcome>();

  // Stale mutants first and loudly: the code they targeted has changed, so they test nothing.
  const readHere = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
  const applicable = mutants.filter((mutant) => {
    const result = applyEdits(mutant, readHere);
    if ('stale' in result) {
      outcomes.set(mutant.name, { kind: 'stale', detail: result.stale });
      console.error(`STALE     ${mutant.name}: ${result.stale}`);
      return false;
    }
    return true;
  });

  const scratch = makeScratch();
  const stop = () => {
    running?.kill('SIGINT'); // Playwright's teardown stops its PostgreSQL
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  console.log(`scratch copy: ${scratch} (database port ${port}); logs in ${path.relative(ROOT, RESULTS)}/`);
  try {
    // The baseline: without a mutant every selected spec must pass, or no result below means anything.
    const allSpecs = [...new Set(applicable.flatMap((m) => m.specs))].sort();
    if (allSpecs.length) {
      console.log(`baseline: ${allSpecs.length} spec files, unmutated ...`);
      const baseline = await runSpecs(scratch, 'baseline', allSpecs, { build: true, port });
      if ('broken' in baseline) throw new Error(`The baseline run broke: ${baseline.broken}`);
      const failed = failedTests(baseline.report.suites);
      if (failed.length) throw new Error(`Without any mutant these tests fail, so no mutant can be judged:\n  ${failed.join('\n  ')}`);
    }

    // In-process mutants first, while the build is still the baseline's (they skip the build).
    const ordered = [...applicable.filter((m) => m.inProcessOnly), ...applicable.filter((m) => !m.inProcessOnly)];
    for (const mutant of ordered) {
      const readScratch = (file: string) => fs.readFileSync(path.join(scratch, file), 'utf8');
      const result = applyEdits(mutant, readScratch);
      if ('stale' in result) throw new Error(`${mutant.name}: applied here but not in the scratch copy: ${result.stale}`);
      const originals = new Map([...result.files.keys()].map((file) => [file, readScratch(file)]));
      for (const [file, text] of result.files) fs.writeFileSync(path.join(scratch, file), text);
      const started = Date.now();
      let outcome: Outcome;
      try {
        const ran = await runSpecs(scratch, mutant.name, mutant.specs, { build: !mutant.inProcessOnly, repeatEach: mutant.repeatEach, port });
        if ('broken' in ran) outcome = { kind: 'broken', detail: ran.broken };
        else {
          const failed = [...new Set(failedTests(ran.report.suites))];
          outcome = failed.length ? { kind: 'killed', by: failed } : { kind: 'survived' };
        }
      } finally {
        for (const [file, text] of originals) fs.writeFileSync(path.join(scratch, file), text);
      }
      outcomes.set(mutant.name, outcome);
      const seconds = Math.round((Date.now() - started) / 1000);
      const detail =
        outcome.kind === 'killed'
          ? `by ${outcome.by[0]}${outcome.by.length > 1 ? ` (and ${outcome.by.length - 1} more)` : ''}`
          : outcome.kind === 'survived'
            ? `every test in ${mutant.specs.join(', ')} passed with it`
            : outcome.detail;
      console.log(`${outcome.kind.toUpperCase().padEnd(9)} ${mutant.name} (${seconds} s): ${detail}`);
      if (outcome.kind === 'killed') for (const title of outcome.by.slice(1, 6)) console.log(`            ${title}`);
    }
  } finally {
    if (process.env.MUTANTS_KEEP) console.log(`kept the scratch copy: ${scratch}`);
    else fs.rmSync(scratch, { recursive: true, force: true });
  }

  const count = (kind: Outcome['kind']) => [...outcomes.values()].filter((o) => o.kind === kind).length;
  console.log(`\n${outcomes.size} mutants: ${count('killed')} killed, ${count('survived')} survived, ${count('stale')} stale, ${count('broken')} broken`);
  for (const [name, outcome] of outcomes) {
    if (outcome.kind !== 'killed') console.log(`  ${outcome.kind}: ${name}`);
  }
  if (count('killed') !== outcomes.size) process.exit(1);
}

if (isMain(import.meta.url)) run(main);
