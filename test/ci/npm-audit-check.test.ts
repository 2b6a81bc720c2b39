/**
 * scripts/npm-audit-check.mjs, the CI gate on `npm audit --omit=dev` (issue 6), judged on saved
 * reports in the shape npm 10/11 prints with `--json`: a clean report passes, a high or critical
 * finding fails and is named, and an advisory endpoint that refuses fails as "not checked"
 * unless QBANK_AUDIT_UNREACHABLE=warn lets it through as skipped.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/util/package-root.js';

const script = join(packageRoot(), 'scripts', 'npm-audit-check.mjs');
const dir = mkdtempSync(join(tmpdir(), 'qbank-audit-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const counts = (c: Partial<Record<'info' | 'low' | 'moderate' | 'high' | 'critical', number>>) => ({
  vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...c, total: Object.values(c).reduce((a, b) => a + b, 0) },
  dependencies: { prod: 400, dev: 300, optional: 40, peer: 0, peerOptional: 0, total: 700 },
});

function check(report: unknown, env: Record<string, string> = {}) {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(report));
  const result = `${file}.result`;
  const r = spawnSync(process.execPath, [script, '--report', file, '--result', result], { encoding: 'utf8', env: { ...process.env, QBANK_AUDIT_UNREACHABLE: '', ...env } });
  return { code: r.status, out: r.stdout, result: JSON.parse(readFileSync(result, 'utf8')) as Record<string, number> };
}

describe('npm audit gate', () => {
  it('passes a report with nothing above moderate', () => {
    const r = check({ auditReportVersion: 2, vulnerabilities: { 'some-lib': { name: 'some-lib', severity: 'moderate', via: [{ title: 'ReDoS', url: 'https://github.com/advisories/GHSA-xxxx', range: '<1.2.3' }], range: '<1.2.3', fixAvailable: true } }, metadata: counts({ moderate: 1 }) });
    expect(r.code).toBe(0);
    expect(r.out).toContain('npm audit: passed');
    expect(r.out).toContain('0 critical, 0 high, 1 moderate');
    expect(r.result).toEqual({ numPassedTests: 1, numFailedTests: 0, numPendingTests: 0 });
  });

  it('fails on a high or critical finding and names the package, the advisory and the fix', () => {
    const report = {
      auditReportVersion: 2,
      vulnerabilities: {
        'form-data': { name: 'form-data', severity: 'critical', via: [{ source: 1, title: 'unsafe random boundary', url: 'https://github.com/advisories/GHSA-fjxv-7rqg-78g4', range: '>=4.0.0 <4.0.4' }], range: '4.0.0 - 4.0.3', fixAvailable: true },
        axios: { name: 'axios', severity: 'high', via: ['form-data'], range: '1.0.0 - 1.11.0', fixAvailable: { name: 'axios', version: '1.12.0', isSemVerMajor: false } },
      },
      metadata: counts({ high: 1, critical: 1 }),
    };
    const r = check(report);
    expect(r.code).toBe(1);
    expect(r.out).toContain('npm audit: FAILED');
    expect(r.out).toMatch(/critical\s+form-data@4\.0\.0 - 4\.0\.3 — unsafe random boundary \(https:\/\/github\.com\/advisories\/GHSA-fjxv-7rqg-78g4/);
    expect(r.out).toMatch(/high\s+axios@1\.0\.0 - 1\.11\.0 — through form-data — fix: axios@1\.12\.0/);
    expect(r.result).toEqual({ numPassedTests: 0, numFailedTests: 1, numPendingTests: 0 });
  });

  it('fails as "not checked" when the advisory endpoint refuses, or lets it through as skipped when told to', () => {
    const refused = { message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405, body: '', error: { summary: '', detail: '' } };
    const strict = check(refused);
    expect(strict.code).toBe(1);
    expect(strict.out).toContain('npm audit: NOT CHECKED — the advisory endpoint did not answer: 405 Method Not Allowed');
    expect(strict.result).toEqual({ numPassedTests: 0, numFailedTests: 1, numPendingTests: 0 });
    const lenient = check(refused, { QBANK_AUDIT_UNREACHABLE: 'warn' });
    expect(lenient.code).toBe(0);
    expect(lenient.out).toContain('were not audited');
    expect(lenient.result).toEqual({ numPassedTests: 0, numFailedTests: 0, numPendingTests: 1 });
  });
});
