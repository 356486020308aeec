/**
 * What a new user meets in the first hour (issue "first hour", items 5 and 6), the built CLI as a
 * subprocess against the test backend:
 *  - `--only` with an app id that matches nothing says so, takes no lock and writes no run record;
 *  - the SDK's "non-retryable streaming request" warning never reaches the user;
 *  - an expected error (a conflict in `provision`) on a terminal is one line, no stack trace;
 *  - every log line of the provisioner names its bundle, app id and version (bundles in parallel);
 *  - configuration messages name their variable or flag.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../../support/bundle-builder';
import { testClients } from '../../support/emulator';
import { CLI, cli, e2eEnv, listKeys, makeApp, put, uniqueAppId, type CliResult } from '../reconcile/support';

jest.setTimeout(180_000);
const clients = testClients();
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('first-hour-'));
});
afterAll(async () => {
  await cleanup();
  clients.s3.destroy();
  clients.lambda.destroy();
  clients.iam.destroy();
});

/** The CLI on a pseudo-terminal (util-linux `script`): stdout and stderr are a TTY, as for a user. */
function cliOnTerminal(args: string[], env: Record<string, string>): Promise<CliResult> {
  const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
  const command = [CLI, ...args].map(quote).join(' ');
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TERM: 'dumb', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: out }));
  });
}

interface LogLine {
  msg?: string;
  level?: number;
  bundle?: string;
  appId?: string;
  version?: string;
  runId?: string;
  event?: { step?: string };
}

function logLines(stderr: string): LogLine[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

describe('the first hour', () => {
  it('reconcile/plan --only with an app id that matches nothing: a warning, no lock, no run record', async () => {
    const env = await e2eEnv();
    const app = await makeApp(uniqueAppId('o'), '1.0.0');
    await put(clients.s3, env.releaseBucket, app.key, app.bytes);

    const run = await cli(['reconcile', '--only', 'com.example.nothing'], env.vars);
    const plan = await cli(['plan', '--only', 'com.example.nothing'], env.vars);

    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /warning: --only com\.example\.nothing matches no release bundle under s3:\/\//,
    );
    expect(run.stderr).toContain('no lock taken, no run record');
    expect(plan.code).toBe(0);
    expect(plan.stderr).toMatch(/warning: --only com\.example\.nothing matches no release bundle/);
    expect(await listKeys(clients.s3, env.appsBucket, 'deployer/')).toEqual([]);
    expect(await listKeys(clients.s3, env.appsBucket, 'manifests/')).toEqual([]);

    // the app that exists is matched as before
    const matched = await cli(['reconcile', '--only', app.appId], env.vars);
    expect(matched.code).toBe(0);
    expect(matched.stderr).not.toMatch(/matches no release bundle/);
    expect(await listKeys(clients.s3, env.appsBucket, 'manifests/')).toHaveLength(1);
  });

  it("never shows the SDK's streaming-request warning (an upload refused by If-None-Match)", async () => {
    const env = await e2eEnv();
    const app = await makeApp(uniqueAppId('s'), '1.0.0');
    const other = await makeApp(app.appId, '1.0.0', 'other code');
    const file = path.join(dir, 'stream-a.zip');
    const otherFile = path.join(dir, 'stream-b.zip');
    await writeFile(file, app.bytes);
    await writeFile(otherFile, other.bytes);

    const first = await cli(['upload', file], env.vars);
    const again = await cli(['upload', file], env.vars);
    const conflict = await cli(['upload', otherFile], env.vars);

    expect([first.code, again.code, conflict.code]).toEqual([0, 0, 1]);
    for (const r of [first, again, conflict]) {
      expect(r.stdout + r.stderr).not.toMatch(/non-retryable streaming request/);
    }
  });

  it('on a terminal, upload and reconcile show byte progress, and each bundle once; not when piped', async () => {
    const env = await e2eEnv();
    const vars = { ...env.vars };
    delete vars.APPS_DEPLOYER_LOG_LEVEL;
    const apps = [await makeApp(uniqueAppId('t'), '1.0.0'), await makeApp(uniqueAppId('u'), '1.0.0')];
    const files = apps.map((_, i) => path.join(dir, `tty-upload-${i}.zip`));
    for (const [i, app] of apps.entries()) await writeFile(files[i] as string, app.bytes);

    const upload = await cliOnTerminal(['upload', files[0] as string], vars);
    const piped = await cli(['upload', files[1] as string], vars);
    const reconcile = await cliOnTerminal(['reconcile'], vars);

    expect(upload.code).toBe(0);
    expect(upload.stdout).toMatch(/↑ tty-upload-0\.zip {2}\[#{20}\] 100% {2}\S+ \S+ \/ \S+ \S+/);
    expect(piped.code).toBe(0);
    expect(piped.stdout + piped.stderr).not.toMatch(/%|\[#/);
    expect(reconcile.code).toBe(0);
    expect(reconcile.stdout).toMatch(/↓ \[\d\/2\] \S+ 1\.0\.0 {2}\[#{20}\] 100%/);
    for (const app of apps) {
      // one finished line per bundle; no table repeating them
      const shown = reconcile.stdout.split(/[\r\n]/).filter((l) => l.includes(`✓`) && l.includes(app.appId));
      expect(shown).toHaveLength(1);
    }
    expect(reconcile.stdout).not.toMatch(/APP +VERSION +OUTCOME/);
    expect(reconcile.stdout).toMatch(/Run \S+: 2 provisioned — /);
  });

  it('a conflict in provision on a terminal: one error line, no stack trace, exit 1', async () => {
    const env = await e2eEnv();
    const id = uniqueAppId('p');
    const v1 = path.join(dir, 'tty-one.zip');
    const v1b = path.join(dir, 'tty-two.zip');
    await writeFile(v1, (await makeApp(id, '1.0.0', 'one')).bytes);
    await writeFile(v1b, (await makeApp(id, '1.0.0', 'two')).bytes);
    expect((await cli(['provision', v1], env.vars)).code).toBe(0);

    const vars = { ...env.vars };
    delete vars.APPS_DEPLOYER_LOG_LEVEL; // a user's terminal: the CLI chooses the level
    const r = await cliOnTerminal(['provision', v1b], vars);

    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/apps-deployer: error: .*versions are immutable/);
    expect(r.stdout).not.toMatch(/^\s+at /m);
    expect(r.stdout).not.toMatch(/"stack"|"err"/);
  });

  it('every provisioner log line names its bundle, app id and version (two bundles in parallel)', async () => {
    const env = await e2eEnv();
    const apps = [await makeApp(uniqueAppId('l'), '1.0.0'), await makeApp(uniqueAppId('m'), '2.0.0')];
    for (const app of apps) await put(clients.s3, env.releaseBucket, app.key, app.bytes);

    const run = await cli(['reconcile', '--concurrency', '2'], {
      ...env.vars,
      APPS_DEPLOYER_LOG_LEVEL: 'debug',
    });

    expect(run.code).toBe(0);
    const lines = logLines(run.stderr);
    // IAM is ensured once per run, before the bundles: its lines carry the run id only
    const provisioner = lines.filter(
      (l) =>
        ['provisioning bundle', 'bundle provisioned', 'provision event', 'retrying'].includes(l.msg ?? '') &&
        l.event?.step !== 'iam',
    );
    expect(provisioner.length).toBeGreaterThanOrEqual(4);
    for (const l of provisioner) {
      const app = apps.find((a) => a.appId === l.appId);
      expect(app).toBeDefined();
      expect(l).toMatchObject({ bundle: app?.key, version: app?.version });
      expect(l.runId).toBeDefined();
    }
    for (const app of apps) {
      expect(provisioner.filter((l) => l.appId === app.appId && l.msg === 'bundle provisioned')).toHaveLength(
        1,
      );
    }
  });

  it('provision logs name the bundle, app id and version too', async () => {
    const env = await e2eEnv();
    const app = await makeApp(uniqueAppId('q'), '3.1.0');
    const file = path.join(dir, 'logs.zip');
    await writeFile(file, app.bytes);

    const run = await cli(['provision', file], env.vars);

    expect(run.code).toBe(0);
    const own = logLines(run.stderr).filter((l) =>
      ['provisioning bundle', 'bundle provisioned'].includes(l.msg ?? ''),
    );
    expect(own).toHaveLength(2);
    for (const l of own) expect(l).toMatchObject({ bundle: file, appId: app.appId, version: '3.1.0' });
  });

  it.each([
    [{ APPS_DEPLOYER_CONCURRENCY: '0' }, ['plan'], 'APPS_DEPLOYER_CONCURRENCY must be a whole number'],
    [{}, ['reconcile', '--concurrency', '0'], '--concurrency must be a whole number'],
    [{ APPS_DEPLOYER_LOG_LEVEL: 'loud' }, ['plan'], 'APPS_DEPLOYER_LOG_LEVEL must be one of'],
  ])('a configuration message names its variable or flag (%p %p)', async (extra, args, message) => {
    const env = await e2eEnv(extra);
    const r = await cli(args, env.vars);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
