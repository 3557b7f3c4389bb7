import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';

/**
 * Ends the run with the figures tests report (annotations of type "figure": requests tried, 5xx
 * seen, rows lost...) and one plain line, "N passed, N failed", for CI logs.
 */
export default class SummaryReporter implements Reporter {
  private counts = { passed: 0, failed: 0, skipped: 0 };
  private figures: string[] = [];

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.retry < test.retries && result.status !== 'passed') return;
    if (result.status === 'passed') this.counts.passed++;
    else if (result.status === 'skipped') this.counts.skipped++;
    else this.counts.failed++;
    for (const a of result.annotations) if (a.type === 'figure' && a.description) this.figures.push(a.description);
  }

  onEnd(): void {
    if (this.figures.length) console.log(`\nFigures:\n${this.figures.map((f) => `  ${f}`).join('\n')}\n`);
    const { passed, failed, skipped } = this.counts;
    console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  }

  printsToStdio(): boolean {
    return true;
  }
}
