import { PassThrough } from 'node:stream';
import {
  PROGRESS_REDRAW_MS,
  StatusLine,
  TransferBars,
  TtyProgressObserver,
  formatBar,
  formatBytes,
  uploadLabel,
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

  it('shows the uploads of a bundle being provisioned (code, assets) as bars, with the others counted', () => {
    // Prepare
    let raw = '';
    const out = new PassThrough();
    out.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    let now = 0;
    const o = new TtyProgressObserver(out, () => now);
    const app = item('com.example.big', '1.0.0', 'provision');
    const MiB = 1024 * 1024;
    o.planned(plan([app]));
    o.bundleStarted(app);
    // Act: the code and an asset go up at once
    now += PROGRESS_REDRAW_MS;
    o.bundleBytes({ item: app, step: 'stage-code', entry: 'fn0.zip', bytes: MiB, total: 4 * MiB });
    const code = screen(raw).at(-1);
    now += PROGRESS_REDRAW_MS;
    o.bundleBytes({ item: app, step: 'asset', entry: 'static/big.png', bytes: MiB, total: 2 * MiB });
    const both = screen(raw).at(-1);
    o.bundleBytes({ item: app, step: 'asset', entry: 'static/big.png', bytes: 2 * MiB, total: 2 * MiB });
    const assetDone = screen(raw).at(-1);
    o.bundleDone(provisioned('com.example.big', '1.0.0'));
    o.runDone();
    // Assess
    expect(code).toBe(`  ↑ [0/1] com.example.big 1.0.0  fn0.zip  ${formatBar(MiB, 4 * MiB)}`);
    expect(both).toBe(
      `  ↑ [0/1] com.example.big 1.0.0  static/big.png  ${formatBar(MiB, 2 * MiB)}  (+1 more)`,
    );
    // the completed upload is drawn at once (not throttled), the code upload still counted
    expect(assetDone).toBe(
      `  ↑ [0/1] com.example.big 1.0.0  static/big.png  ${formatBar(2 * MiB, 2 * MiB)}  (+1 more)`,
    );
    expect(screen(raw)).toEqual([
      `reconcile ${RUN_ID}: 1 bundle to process`,
      '  ✓ [1/1] com.example.big 1.0.0  provisioned  2.3s  1 function, 1 asset',
    ]);
    expect(raw.endsWith('1 function, 1 asset\n')).toBe(true); // no status line left behind
  });

  it('draws provision uploads on its own status line: escaped names, nothing for empty objects', () => {
    // Prepare
    let raw = '';
    const out = new PassThrough();
    out.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    const bars = new TransferBars(new StatusLine(out, () => 0));
    const hostile = {
      step: 'asset' as const,
      entry: 'static/\u001b[31mred.txt',
      resource: 'static/a/red.txt',
    };
    // Act
    bars.update('empty', uploadLabel({ step: 'asset', entry: 'static/empty.txt' }), 0, 0);
    const afterEmpty = raw;
    bars.update(hostile.resource, uploadLabel(hostile), 10, 10);
    // Assess
    expect(afterEmpty).toBe('');
    expect(raw).not.toContain('\u001b[31m');
    expect(screen(raw).at(-1)).toMatch(/^ {2}↑ static\/.*red\.txt {2}\[#{20}\] 100% {2}10 B \/ 10 B$/);
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
