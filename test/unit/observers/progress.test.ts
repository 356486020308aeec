import { PassThrough } from 'node:stream';
import { TtyProgressObserver } from '../../../src/reconcile/observers/progress';
import { RUN_ID, conflict, item, plan, provisioned, rejected, skipped } from './fixtures';

function capture(): { out: PassThrough; lines: () => string[] } {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  return {
    out,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== ''),
  };
}

describe('TtyProgressObserver', () => {
  it('prints the plan, then a line per bundle as it starts and finishes', () => {
    // Prepare
    const { out, lines } = capture();
    const o = new TtyProgressObserver(out);
    const items = [
      item('com.example.hello', '1.0.0', 'provision'),
      item('com.example.broken', '0.1.0', 'provision'),
      item('com.example.clash', '1.0.0', 'check-reupload'),
      item('com.example.old', '0.9.0', 'up-to-date'),
      item('com.example.known', '0.2.0', 'known-rejection'),
    ];
    // Act
    o.planned(plan(items));
    o.bundleStarted(items[0]!);
    o.bundleStarted(items[1]!);
    o.bundleDone(rejected('com.example.broken', '0.1.0'));
    o.bundleStarted(items[2]!);
    o.bundleDone(provisioned('com.example.hello', '1.0.0'));
    o.bundleDone(conflict('com.example.clash', '1.0.0'));
    o.bundleDone(skipped('com.example.old', '0.9.0'));
    // Assess
    const l = lines();
    expect(l[0]).toBe(`reconcile ${RUN_ID}: 3 bundles to process (1 up to date, 1 known rejection)`);
    expect(l[1]).toBe('  … [1/3] com.example.hello 1.0.0  provision');
    expect(l[2]).toBe('  … [2/3] com.example.broken 0.1.0  provision');
    expect(l[3]).toMatch(
      /^ {2}✗ \[1\/3\] com\.example\.broken 0\.1\.0 {2}rejected {2}120ms {2}\$\.aws_lambda\[0\]\.runtime: .* \(\+1 more\)$/,
    );
    expect(l[4]).toBe('  … [3/3] com.example.clash 1.0.0  check re-upload');
    expect(l[5]).toBe('  ✓ [2/3] com.example.hello 1.0.0  provisioned  2.3s  1 function, 1 asset');
    expect(l[6]).toMatch(/^ {2}✗ \[3\/3\] com\.example\.clash 1\.0\.0 {2}conflict {2}800ms {2}other bytes/);
    expect(l).toHaveLength(7);
  });

  it('says when there is nothing to do', () => {
    const { out, lines } = capture();
    new TtyProgressObserver(out).planned(plan([item('com.example.old', '0.9.0', 'up-to-date')]));
    expect(lines()).toEqual([`reconcile ${RUN_ID}: nothing to do (1 up to date)`]);
  });
});
