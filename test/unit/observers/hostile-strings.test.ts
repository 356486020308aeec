/**
 * Nothing from a bundle reaches a screen or a chat raw: a hostile bundle (entry names with ANSI
 * sequences, bidi overrides, mentions and Markdown links; a duplicate manifest key holding the same)
 * is validated for real, and its issues, under a hostile release key, go through the webhook observer
 * (posted to a real HTTP receiver), the TTY progress lines, the summary table, `status` and `validate`.
 */
import { PassThrough } from 'node:stream';
import { validateBundle, type Issue } from '../../../src/bundle';
import { formatReport } from '../../../src/cli/commands/validate';
import { formatSummaryTable } from '../../../src/reconcile/observers/format';
import { TtyProgressObserver } from '../../../src/reconcile/observers/progress';
import { MattermostWebhookObserver } from '../../../src/reconcile/observers/webhook';
import type { BundleReport } from '../../../src/reconcile/types';
import { formatStatus } from '../../../src/status/format';
import { STATUS_VERSION, type StatusReport } from '../../../src/status/types';
import { functionZip } from '../../support/bundle-builder';
import { startHttpReceiver } from '../../support/http-receiver';
import { TEST_NOW, manifest, scratch, type Scratch } from '../bundle/helpers';
import { capturingLogger, item, plan, runReport } from './fixtures';

// eslint-disable-next-line no-control-regex -- detecting control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
const MENTION = /@(all|channel|here|someone)/;
const HOSTILE = '@channel \u001b[31mRED\u001b[0m \u202eevil\u202c [click](evil.example) @all';
const RELEASE_KEY = `bundles/@here\u001b[2J\u009b\u2066x\u2069\n.zip`;

async function hostileIssues(s: Scratch): Promise<Issue[]> {
  const text = JSON.stringify(manifest()).replace(
    '"version":"1.0.0"',
    `"version":"1.0.0","x":{${JSON.stringify(HOSTILE)}:1,${JSON.stringify(HOSTILE)}:2}`,
  );
  const file = await s.file('hostile.zip', [
    { name: 'manifest.json', data: text, method: 8 },
    { name: 'fn.zip', data: await functionZip() },
    { name: `${HOSTILE}.txt`, data: 'x' },
    { name: `docs/${HOSTILE}\u0085.md`, data: 'x' },
    { name: '@here [x](evil.example) :smile: ~town-square.txt', data: 'x' },
  ]);
  const result = await validateBundle(file, { now: TEST_NOW });
  expect(result.ok).toBe(false);
  return result.ok ? [] : [...result.errors, ...result.warnings];
}

const ITEM = { ...item('com.example.hello', '1.0.0', 'provision'), releaseKey: RELEASE_KEY };

function rejectedReport(issues: Issue[]): BundleReport {
  return {
    ...ITEM,
    outcome: { status: 'rejected', issues },
    durationMs: 10,
  };
}

function expectClean(text: string): void {
  expect(text).not.toMatch(RAW_CONTROL);
  expect(text).not.toMatch(MENTION);
}

describe('hostile strings from a bundle', () => {
  let s: Scratch;
  beforeAll(async () => {
    s = await scratch();
  });
  afterAll(() => s.cleanup());

  it('reach the issues raw (the validator quotes, it does not escape for screens)', async () => {
    const issues = await hostileIssues(s);
    const all = issues.map((i) => `${i.path} ${i.message}`).join('\n');
    expect(issues.map((i) => i.code)).toEqual(
      expect.arrayContaining(['MANIFEST_DUPLICATE_KEY', 'BAD_ENTRY_NAME', 'IGNORED_ENTRY']),
    );
    expect(all).toMatch(MENTION);
    expect(all).toMatch(/\u202e/);
  });

  it('are escaped in the webhook alert: no control character, mention or live link', async () => {
    const receiver = await startHttpReceiver();
    try {
      const report = rejectedReport(await hostileIssues(s));
      const o = new MattermostWebhookObserver({
        alertUrl: `${receiver.url}/hooks/x`,
        logger: capturingLogger().logger,
        fetch: globalThis.fetch,
      });
      o.planned(plan([ITEM]));
      o.bundleDone(report);
      await o.runDone(runReport([report], 1));
      expect(receiver.requests).toHaveLength(1);
      const text = (JSON.parse(receiver.requests[0]?.body ?? '{}') as { text: string }).text;
      expectClean(text.replaceAll('\n', ' '));
      // outside code spans (shown verbatim), no "[x](y)" is left to render as a link
      expect(text.replace(/(`+)[^`]*?\1/g, '')).not.toMatch(/[^\\]\]\(/);
      expect(text).toContain('@\u200dchannel');
      expect(text).toContain('\\x1b[31mRED');
    } finally {
      await receiver.close();
    }
  });

  it('are escaped on the terminal: progress lines, summary table, status and validate', async () => {
    const issues = await hostileIssues(s);
    const report = rejectedReport(issues);
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    const tty = new TtyProgressObserver(out);
    tty.planned(plan([ITEM]));
    tty.bundleStarted(ITEM);
    tty.bundleDone(report);
    const summary = formatSummaryTable(runReport([report], 1));
    const statusReport: StatusReport = {
      statusVersion: STATUS_VERSION,
      appsBucket: 'apps',
      releaseBucket: 'rel',
      releasePrefix: 'bundles/',
      generatedAt: '2024-01-01T00:00:00.000Z',
      lock: { held: false },
      provisioned: [],
      pending: [],
      rejected: [
        { releaseKey: RELEASE_KEY, etag: '"e"', appId: 'com.example.hello', version: '1.0.0', issues },
      ],
      conflicts: [],
      failed: [],
      details: false,
      upToDate: 0,
      runs: [],
      problems: [`cannot read ${RELEASE_KEY}`],
    };
    const status = formatStatus(statusReport);
    const validate = formatReport({ file: 'hostile.zip', ok: false, errors: issues, warnings: [] });
    // the status line's own control sequence (carriage return, erase line) is ours; anything else is not
    const progress = chunks.join('').replaceAll('\r\x1b[2K', '\n');
    for (const text of [progress, summary, status, validate]) {
      for (const line of text.split('\n')) expect(line).not.toMatch(RAW_CONTROL);
      // every hostile value stays on its own line: the release key's newline is shown as \x0a
      expect(text).not.toContain('\n.zip');
    }
    expect(summary).toContain('\\x1b[31mRED');
    expect(summary).toContain('\\u{202e}evil');
  });
});
