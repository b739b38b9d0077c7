// Sums the vitest JSON reports of every workspace into one closing line: "N passed, N failed".
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2] ?? '.test-results';
let passed = 0, failed = 0, skipped = 0, suites = 0;
for (const f of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const r = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  // A file that failed without a failing test (an import error, a failing hook) counts once.
  for (const file of r.testResults ?? []) if (file.status === 'failed' && !(file.assertionResults ?? []).some((a) => a.status === 'failed')) failed++;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  suites++;
}
if (suites === 0) {
  console.log('no test reports found');
  process.exit(1);
}
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
