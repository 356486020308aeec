import {
  formatDuration,
  formatPlan,
  formatSummaryTable,
  renderTable,
} from '../../../src/reconcile/observers/format';
import { conflict, failed, item, plan, provisioned, rejected, runReport, skipped } from './fixtures';

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [999, '999ms'],
    [2345, '2.3s'],
    [59_900, '59.9s'],
    [65_000, '1m05s'],
    [3_600_000, '60m00s'],
  ])('%d ms → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('renderTable', () => {
  it('pads every column but the last', () => {
    expect(
      renderTable(
        ['A', 'LONG'],
        [
          ['xyz', '1'],
          ['', '22'],
        ],
      ),
    ).toBe('A    LONG\nxyz  1\n     22');
  });
});

describe('formatPlan', () => {
  it('lists the bundles to act on and the known ones, counts the up-to-date ones', () => {
    // Prepare
    const p = plan([
      item('com.example.old', '0.9.0', 'up-to-date'),
      { ...item('com.example.known', '0.2.0', 'known-rejection'), reason: 'rejected-v1' },
      item('com.example.hello', '1.0.0', 'provision'),
      {
        releaseKey: 'bundles/not a bundle.zip',
        etag: '"e"',
        size: 1,
        action: 'reject-non-canonical',
      },
    ]);
    // Act
    const text = formatPlan(p);
    // Assess
    const lines = text.split('\n');
    expect(lines[0]).toBe('Plan for s3://release-bucket/bundles/ → s3://apps-bucket');
    const rows = lines.filter((l) => l.startsWith('  '));
    expect(rows[0]).toMatch(/^ {2}ACTION +APP +VERSION +RELEASE KEY +REASON$/);
    expect(rows[1]).toMatch(
      /^ {2}provision +com\.example\.hello +1\.0\.0 +bundles\/com\.example\.hello_1\.0\.0\.zip$/,
    );
    expect(rows[2]).toMatch(/^ {2}reject \(key not canonical\) +- +- +bundles\/not a bundle\.zip$/);
    expect(rows[3]).toMatch(/known rejection +com\.example\.known +0\.2\.0 +\S+ +rejected-v1$/);
    expect(text).not.toContain('com.example.old');
    expect(text).toContain(
      '4 release bundles: 1 provision · 1 reject (key not canonical) · 1 known rejection · 1 up to date',
    );
    expect(text).toContain('2 bundles to download and judge.');
  });

  it('says nothing to do', () => {
    expect(formatPlan(plan([item('a.b.c', '1', 'up-to-date')]))).toContain('Nothing to do.');
    expect(formatPlan(plan([]))).toContain('No release bundles found: nothing to do.');
  });
});

describe('formatSummaryTable', () => {
  it('shows a row per judged bundle, the totals and every problem in full', () => {
    // Prepare
    const report = runReport(
      [
        provisioned('com.example.hello', '1.0.0'),
        provisioned('com.example.again', '2.0.0', true),
        rejected('com.example.broken', '0.1.0'),
        conflict('com.example.clash', '1.0.0'),
        failed('com.example.flaky', '3.0.0'),
        skipped('com.example.old', '0.9.0'),
        skipped('com.example.known', '0.2.0', 'known-conflict'),
      ],
      1,
    );
    // Act
    const text = formatSummaryTable(report);
    // Assess
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^ +APP +VERSION +OUTCOME +TIME +DETAIL$/);
    expect(lines[1]).toMatch(/^✓ +com\.example\.hello +1\.0\.0 +provisioned +2\.3s +1 function, 1 asset$/);
    expect(lines[2]).toMatch(/^✓ +com\.example\.again +2\.0\.0 +converged +2\.3s +already provisioned/);
    expect(lines[3]).toMatch(
      /^✗ +com\.example\.broken +0\.1\.0 +rejected +120ms +\$\.aws_lambda\[0\]\.runtime: .*\(\+1 more\)$/,
    );
    expect(lines[5]).toMatch(
      /^✗ +com\.example\.flaky +3\.0\.0 +failed +30\.5s +LAMBDA_THROTTLED: Rate exceeded$/,
    );
    expect(text).toContain(
      'Run run-20240101-abc: 2 provisioned · 1 rejected · 1 conflict · 1 failed · 2 unchanged (1 known rejection/conflict) — 12.5s, 5 AWS requests, exit 1',
    );
    expect(text).toContain(
      'Rejected bundles/com.example.broken_0.1.0.zip (com.example.broken 0.1.0); not retried until a new object is uploaded:',
    );
    expect(text).toContain('  error  $.aws_lambda[1]: function 1 has no zip');
    expect(text).toContain('  warning  README.md: ignored');
    expect(text).toContain(
      'Conflict bundles/com.example.clash_1.0.0.zip (com.example.clash 1.0.0); nothing was overwritten:',
    );
    expect(text).toContain(
      'Failed bundles/com.example.flaky_3.0.0.zip (com.example.flaky 3.0.0); the next run retries it:',
    );
    expect(text).not.toContain('com.example.old');
  });

  it('says nothing to do for a run without work', () => {
    const text = formatSummaryTable(
      runReport([skipped('a.b.c', '1'), skipped('d.e.f', '2', 'known-rejection')], 0),
    );
    expect(text).toBe(
      'Run run-20240101-abc: nothing to do, 2 unchanged (1 known rejection/conflict) — 12.5s, 5 AWS requests, exit 0',
    );
  });
});
