import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { applyEdits } from '../../scripts/testing/mutants';
import { MUTANTS } from '../../scripts/testing/mutant-list';

// `npm run test:mutants` is slow and not part of `npm test`; whether each mutant still applies to the
// code is cheap to know, so a change that leaves one behind (testing nothing) shows here at once.
test('every mutant of scripts/testing/mutant-list.ts still applies to the code, and its specs exist', () => {
  const problems: string[] = [];
  for (const mutant of MUTANTS) {
    const result = applyEdits(mutant, (file) => fs.readFileSync(file, 'utf8'));
    if ('stale' in result) problems.push(`${mutant.name}: ${result.stale}`);
    for (const spec of mutant.specs) if (!fs.existsSync(spec)) problems.push(`${mutant.name}: no spec file ${spec}`);
  }
  expect(problems).toEqual([]);
  expect(new Set(MUTANTS.map((m) => m.name)).size).toBe(MUTANTS.length);
});

test('a mutant whose text is not found is stale, not applied', () => {
  const mutant = { name: 'x', description: '', specs: [], edits: [{ file: 'f.ts', from: 'not there', to: '' }] };
  expect(applyEdits(mutant, () => 'some code')).toEqual({ stale: expect.stringContaining('occurs 0 times') });
  expect(applyEdits({ ...mutant, edits: [{ file: 'f.ts', from: 'a', to: 'b' }] }, () => 'a a')).toEqual({ stale: expect.stringContaining('occurs 2 times') });
  expect(applyEdits({ ...mutant, edits: [{ file: 'f.ts', from: 'a$&', to: '$&b' }] }, () => 'xa$&y')).toEqual({ files: new Map([['f.ts', 'x$&by']]) });
});
