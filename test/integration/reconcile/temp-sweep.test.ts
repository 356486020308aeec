/**
 * A reconcile run removes, under its lock and before any bundle work, the temp directories that runs
 * killed hard left in its temp root (src/temp-dirs.ts), and nothing else; a dry run removes nothing.
 * S3 only: runs on moto and LocalStack alike.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ExitCode } from '../../../src/errors';
import { tempDirPrefix } from '../../../src/temp-dirs';
import { tempDir } from '../../support/bundle-builder';
import { freshEnv, run, type Env } from './support';

jest.setTimeout(120_000);

let dir: string;
let cleanup: () => Promise<void>;
let env: Env;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('temp-sweep-it-'));
  env = await freshEnv(dir);
});
afterEach(async () => {
  env.s3.destroy();
  await cleanup();
});

/** A directory with a file, idle for `idleSeconds` (mtimes set with utimes). */
function leftBehind(name: string, idleSeconds: number): void {
  const at = Date.now() / 1000 - idleSeconds;
  const d = path.join(dir, name);
  mkdirSync(d);
  writeFileSync(path.join(d, 'bundle-0.zip'), 'partial download');
  utimesSync(path.join(d, 'bundle-0.zip'), at, at);
  utimesSync(d, at, at);
}

describe('the temp sweep at the start of a reconcile run', () => {
  it("removes only the deployer's own directories idle past the lock TTL whose process is gone", async () => {
    const ttl = env.config.lockTtlSeconds;
    const gonePid = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const killed = `${tempDirPrefix('run', gonePid)}Kill01`;
    const earlier = 'apps-deployer-validate-Old001'; // an earlier version's name (no pid)
    const recent = `${tempDirPrefix('run', gonePid)}Rcnt01`;
    const foreign = 'apps-deployer-chart-Abc123';
    leftBehind(killed, ttl + 60);
    leftBehind(earlier, ttl + 60);
    leftBehind(recent, Math.floor(ttl / 2));
    leftBehind(foreign, ttl + 60);

    const dry = await run(env, { dryRun: true });
    expect(dry.report.exitCode).toBe(ExitCode.Ok);
    expect(readdirSync(dir).sort()).toEqual([earlier, foreign, killed, recent].sort());

    const res = await run(env); // nothing released: the run only lists, takes the lock, sweeps
    expect(res.report.exitCode).toBe(ExitCode.Ok);
    expect(readdirSync(dir).sort()).toEqual([foreign, recent].sort());
  });
});
