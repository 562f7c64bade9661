import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, that any CI can read, and
 * fails the run when a test was skipped: a skipped test is a defect here, not a pass.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) counts[test.result().state] += 1;
    }
    const failed =
      counts.failed + testModules.filter((m) => m.state() === 'failed' && !m.children.size).length;
    const skipped = counts.skipped + counts.pending;
    console.log(`\ntests: ${counts.passed} passed, ${failed} failed, ${skipped} skipped`);
    if (skipped > 0) {
      console.error('skipped or todo tests are defects in this project: fix or delete them');
      process.exitCode = 1;
    }
  }
}
