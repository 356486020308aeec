import { PassThrough } from 'node:stream';
import {
  PROGRESS_REDRAW_MS,
  TtyProgressObserver,
  formatBar,
  formatBytes,
} from '../../../src/reconcile/observers/progress';
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

const ERASE_LINE = '\u001b[2K';

/** The screen a terminal shows: the status line is always redrawn as \r ESC[2K text. */
function screen(raw: string): string[] {
  return raw
    .split('\n')
    .map((segment) => segment.split(ERASE_LINE).at(-1)?.replace(/\r/g, '') ?? '')
    .filter((row) => row !== '');
}

describe('TtyProgressObserver', () => {
  it('prints the plan, then one line per bundle as it finishes (its start only on the status line)', () => {
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
    o.runDone();
    // Assess: whole lines only for the plan and each finished bundle; the status line is gone
    const l = screen(lines().join('\n') + '\n');
    expect(l[0]).toBe(`reconcile ${RUN_ID}: 3 bundles to process (1 up to date, 1 known rejection)`);
    expect(l[1]).toMatch(
      /^ {2}✗ \[1\/3\] com\.example\.broken 0\.1\.0 {2}rejected {2}120ms {2}\$\.aws_lambda\[0\]\.runtime: .* \(\+1 more\)$/,
    );
    expect(l[2]).toBe('  ✓ [2/3] com.example.hello 1.0.0  provisioned  2.3s  1 function, 1 asset');
    expect(l[3]).toMatch(/^ {2}✗ \[3\/3\] com\.example\.clash 1\.0\.0 {2}conflict {2}800ms {2}other bytes/);
    expect(l).toHaveLength(4);
    expect(l.join('\n')).not.toContain('…');
  });

  it('shows the bytes of a download as a progress bar on the status line, throttled, the last one always', () => {
    // Prepare
    const { out } = capture();
    let raw = '';
    out.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    let now = 0;
    const o = new TtyProgressObserver(out, () => now);
    const big = { ...item('com.example.big', '1.0.0', 'provision'), size: 4 * 1024 * 1024 };
    o.planned(plan([big]));
    o.bundleStarted(big);
    // Act
    now += PROGRESS_REDRAW_MS;
    o.bundleBytes({ item: big, step: 'download', bytes: 1024 * 1024, total: big.size });
    const afterFirst = raw;
    now += PROGRESS_REDRAW_MS / 2;
    o.bundleBytes({ item: big, step: 'download', bytes: 2 * 1024 * 1024, total: big.size });
    const throttled = raw === afterFirst;
    now += PROGRESS_REDRAW_MS;
    o.bundleBytes({ item: big, step: 'download', bytes: 3 * 1024 * 1024, total: big.size });
    const third = screen(raw).at(-1);
    o.bundleBytes({ item: big, step: 'download', bytes: big.size, total: big.size });
    const last = screen(raw).at(-1);
    // Assess
    expect(screen(afterFirst).at(-1)).toBe(
      `  ↓ [0/1] com.example.big 1.0.0  ${formatBar(1024 * 1024, big.size)}`,
    );
    expect(throttled).toBe(true);
    expect(third).toContain('[###############-----]  75%  3.0 MiB / 4.0 MiB');
    expect(last).toContain('[####################] 100%  4.0 MiB / 4.0 MiB');
  });

  it('formats byte counts', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200.0 MiB');
    expect(formatBar(0, 0)).toBe('[--------------------]   0%  0 B / 0 B');
  });

  it('says when there is nothing to do', () => {
    const { out, lines } = capture();
    new TtyProgressObserver(out).planned(plan([item('com.example.old', '0.9.0', 'up-to-date')]));
    expect(lines()).toEqual([`reconcile ${RUN_ID}: nothing to do (1 up to date)`]);
  });
});
