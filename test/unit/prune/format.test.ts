/** The human forms of prune's report and of status's retired versions: complete, and escaped. */
import { formatPrune, PRUNE_VERSION, type PruneReport } from '../../../src/prune';
import { formatStatus, STATUS_VERSION, type StatusReport } from '../../../src/status';

const ESC = '\u001b[31m';

function pruneReport(over: Partial<PruneReport> = {}): PruneReport {
  return {
    pruneVersion: PRUNE_VERSION,
    runId: 'r1',
    dryRun: true,
    appsBucket: 'apps',
    options: { keep: 1, olderThanDays: 0, pinned: ['a.app@1.0.0'] },
    versions: [
      {
        appId: 'a.app',
        version: '2.0.0',
        manifestKey: 'm',
        action: 'keep',
        reason: "the app's newest version",
      },
      { appId: `x${ESC}`, version: '1.0.0', manifestKey: 'm', action: 'retire', reason: 'older' },
    ],
    retention: {
      runRecords: { expire: ['deployer/runs/a.json'], kept: 3, retentionDays: 90, keepNewest: 50 },
      stagedCode: { remove: [], inUse: 2, young: 1, unrecognized: 0 },
    },
    exitCode: 0,
    requests: {},
    ...over,
  };
}

describe('formatPrune', () => {
  it('shows the plan, the retention and, after --apply, what was done; escapes what listings hold', () => {
    const dry = formatPrune(pruneReport());
    expect(dry).toMatch(/dry run: nothing changed/);
    expect(dry).toMatch(/Versions to retire \(1\) · kept \(1\)/);
    expect(dry).toMatch(/run records: 1 to expire \(older than 90 days, the newest 50 kept\), 3 kept/);
    expect(dry).toMatch(/pinned: a\.app@1\.0\.0/);
    expect(dry).not.toContain(ESC);
    const applied = formatPrune(
      pruneReport({
        dryRun: false,
        retired: [
          {
            appId: 'a.app',
            version: '1.0.0',
            status: 'retired',
            manifestDeleted: true,
            functionsDeleted: ['f'],
            functionsLeft: ['g'],
            assetsDeleted: 2,
          },
          {
            appId: 'a.app',
            version: '0.9.0',
            status: 'failed',
            manifestDeleted: false,
            functionsDeleted: [],
            functionsLeft: [],
            assetsDeleted: 0,
            error: { code: 'RETIRE_FAILED', message: `boom ${ESC}` },
          },
        ],
        removed: { runRecords: 1, stagedCode: 0 },
      }),
    );
    expect(applied).toMatch(/Retired \(1 of 2\)/);
    expect(applied).toMatch(
      /1\.0\.0: manifest deleted, 1 function\(s\), 2 asset\(s\) deleted; left \(not ours\): g/,
    );
    expect(applied).toMatch(/0\.9\.0: FAILED: boom/);
    expect(applied).toMatch(/Removed 1 run record\(s\) and 0 staged code object\(s\)/);
    expect(applied).not.toContain(ESC);
  });
});

describe('formatStatus: retired versions', () => {
  it('lists them, complete or awaiting the rerun', () => {
    const s: StatusReport = {
      statusVersion: STATUS_VERSION,
      generatedAt: '2026-01-01T00:00:00.000Z',
      details: false,
      appsBucket: 'apps',
      releaseBucket: 'rel',
      releasePrefix: 'bundles/',
      lock: { held: false },
      provisioned: [],
      pending: [],
      rejected: [],
      conflicts: [],
      failed: [],
      upToDate: 0,
      retired: [
        { appId: 'a.app', version: '1.0.0', complete: true },
        { appId: `b${ESC}`, version: '2.0.0', complete: false },
      ],
      runs: [],
      problems: [],
    };
    const text = formatStatus(s);
    expect(text).toMatch(/Retired by prune \(2\): never provisioned again/);
    expect(text).toMatch(/a\.app\s+1\.0\.0\s+retired/);
    expect(text).toMatch(/2\.0\.0\s+retiring \(prune --apply completes it\)/);
    expect(text).not.toContain(ESC);
    expect(formatStatus({ ...s, retired: [] })).not.toMatch(/Retired by prune/);
  });
});
