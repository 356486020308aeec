/**
 * The sweep of the deployer's own temp directories (src/temp-dirs.ts), on real directories under a
 * temporary root, their mtimes set with fs.utimes: only ours, only real directories of our user, only
 * those idle for longer than the lock TTL are removed; everything else is left as it is.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { existsSync, lstatSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { isOurTempDirName, sweepStaleTempDirs, tempDirPrefix } from '../../../src/temp-dirs';

const TTL_MS = 300_000;
const NOW = Date.now();
const OLD = (NOW - 2 * TTL_MS) / 1000; // seconds, as fs.utimes takes them
const RECENT = (NOW - TTL_MS / 2) / 1000;

let root: string;
let outside: string;
let lines: Record<string, unknown>[];
const logger = () =>
  pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  );

/** A directory with files, every mtime set to `at` (the directory's last: creating files changes it). */
function makeDir(name: string, at: number, files: Record<string, number> = { 'bundle-0.zip': at }): string {
  const dir = path.join(root, name);
  mkdirSync(dir);
  for (const [file, mtime] of Object.entries(files)) {
    writeFileSync(path.join(dir, file), 'x');
    utimesSync(path.join(dir, file), mtime, mtime);
  }
  utimesSync(dir, at, at);
  return dir;
}

const sweep = (extra: Partial<Parameters<typeof sweepStaleTempDirs>[0]> = {}) =>
  sweepStaleTempDirs({ root, maxAgeMs: TTL_MS, logger: logger(), now: () => NOW, ...extra });

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'sweep-root-'));
  outside = mkdtempSync(path.join(os.tmpdir(), 'sweep-outside-'));
  lines = [];
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('sweepStaleTempDirs', () => {
  it("removes a run's and a validation's directory idle for longer than the lock TTL, and logs each", async () => {
    const run = makeDir('apps-deployer-Ab12Cd', OLD);
    const validate = makeDir('apps-deployer-validate-zZ9yY8', OLD, { 'function-0.zip': OLD });
    const res = await sweep();
    expect(existsSync(run)).toBe(false);
    expect(existsSync(validate)).toBe(false);
    expect(res.removed.map((r) => r.path).sort()).toEqual([run, validate].sort());
    for (const r of res.removed) expect(r.idleMs).toBeGreaterThan(TTL_MS);
    const logged = lines.filter((l) => l.msg === 'temp sweep: removed a temp directory left by a killed run');
    expect(logged.map((l) => l.dir).sort()).toEqual([run, validate].sort());
    expect(logged.every((l) => typeof l.idleSeconds === 'number' && (l.idleSeconds as number) >= 600)).toBe(
      true,
    );
  });

  it('keeps a directory that changed within the TTL, or whose file is still being written', async () => {
    const recent = makeDir('apps-deployer-Recent', RECENT);
    // the directory itself is old, but a download is still writing its bundle file
    const writing = makeDir('apps-deployer-Writes', OLD, { 'bundle-0.zip': RECENT, 'bundle-1.zip': OLD });
    const res = await sweep();
    expect(existsSync(recent)).toBe(true);
    expect(readdirSync(writing).sort()).toEqual(['bundle-0.zip', 'bundle-1.zip']);
    expect(res).toEqual({ removed: [], recent: 2 });
    expect(lines.filter((l) => l.level === 30)).toEqual([]);
  });

  it('leaves names that are not ours, even when old', async () => {
    const names = [
      'apps-deployer-chart-Ab12Cd', // the chart tests' directories
      'apps-deployer-test-Ab12Cd', // test/support's tempDir
      'apps-deployer-Ab12C', // five characters: not mkdtemp's
      'apps-deployer-Ab12Cde',
      'apps-deployer-Ab-2Cd',
      'apps-deployer-validate-',
      'other-Ab12Cd',
      'xapps-deployer-Ab12Cd',
    ];
    for (const n of names) makeDir(n, OLD);
    const res = await sweep();
    expect(readdirSync(root).sort()).toEqual([...names].sort());
    expect(res.removed).toEqual([]);
  });

  it('leaves a file with our name', async () => {
    const file = path.join(root, 'apps-deployer-File01');
    writeFileSync(file, 'not a directory');
    utimesSync(file, OLD, OLD);
    await sweep();
    expect(readFileSync(file, 'utf8')).toBe('not a directory');
  });

  it('never follows a symlink with our name, nor removes it', async () => {
    const target = path.join(outside, 'precious');
    mkdirSync(target);
    writeFileSync(path.join(target, 'data'), 'keep');
    utimesSync(target, OLD, OLD);
    const link = path.join(root, 'apps-deployer-Link01');
    symlinkSync(target, link);
    const res = await sweep();
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(target, 'data'), 'utf8')).toBe('keep');
    expect(res.removed).toEqual([]);
  });

  it('removes an abandoned directory holding a symlink without touching what the link points to', async () => {
    const precious = path.join(outside, 'precious.txt');
    writeFileSync(precious, 'keep');
    const dir = path.join(root, 'apps-deployer-HasLnk');
    mkdirSync(dir);
    symlinkSync(outside, path.join(dir, 'link-to-dir'));
    symlinkSync(precious, path.join(dir, 'link-to-file'));
    utimesSync(dir, OLD, OLD);
    // lstat judges the links themselves (their own mtimes are now): set them old too
    const { lutimesSync } = await import('node:fs');
    lutimesSync(path.join(dir, 'link-to-dir'), OLD, OLD);
    lutimesSync(path.join(dir, 'link-to-file'), OLD, OLD);
    const res = await sweep();
    expect(res.removed.map((r) => r.path)).toEqual([dir]);
    expect(existsSync(dir)).toBe(false);
    expect(readFileSync(precious, 'utf8')).toBe('keep');
    expect(readdirSync(outside)).toEqual(['precious.txt']);
  });

  it("leaves another user's directory", async () => {
    const dir = makeDir('apps-deployer-Others', OLD);
    const someoneElse = lstatSync(dir).uid + 1;
    const res = await sweep({ uid: someoneElse });
    expect(existsSync(dir)).toBe(true);
    expect(res).toEqual({ removed: [], recent: 0 });
  });

  it('keeps an idle directory whose process still runs; removes one whose process is gone', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const gone = spawnSync(process.execPath, ['-e', '0']).pid as number;
    try {
      const live = makeDir(`${tempDirPrefix('run', child.pid as number)}Live01`, OLD);
      const mine = makeDir(`${tempDirPrefix('validate')}Mine01`, OLD); // this process: alive
      const dead = makeDir(`${tempDirPrefix('run', gone)}Dead01`, OLD);
      // pid 1 always runs (another user's process when we are not root: EPERM still means alive)
      const init = makeDir(`${tempDirPrefix('run', 1)}Init01`, OLD);
      const res = await sweep();
      expect(existsSync(live)).toBe(true);
      expect(existsSync(mine)).toBe(true);
      expect(existsSync(init)).toBe(true);
      expect(existsSync(dead)).toBe(false);
      expect(res.removed.map((r) => r.path)).toEqual([dead]);
      expect(res.recent).toBe(3);
    } finally {
      child.kill();
    }
  });

  it('never fails the run: a temp root that cannot be listed is logged and nothing is removed', async () => {
    const res = await sweep({ root: path.join(root, 'missing') });
    expect(res).toEqual({ removed: [], recent: 0 });
    expect(lines.find((l) => l.msg === 'temp sweep: cannot list the temp root')?.level).toBe(40);
  });
});

describe('the names the sweep knows', () => {
  it('match what mkdtemp makes of our prefixes (with or without the pid), and nothing else', () => {
    for (const prefix of [
      tempDirPrefix('run'),
      tempDirPrefix('validate'),
      'apps-deployer-', // earlier versions: no pid
      'apps-deployer-validate-',
    ]) {
      expect(isOurTempDirName(`${prefix}aZ0bY1`)).toBe(true);
      expect(isOurTempDirName(`${prefix}aZ0bY`)).toBe(false);
      expect(isOurTempDirName(`${prefix}aZ0bY1/`)).toBe(false);
      expect(isOurTempDirName(`${prefix}../x01`)).toBe(false);
    }
    expect(tempDirPrefix('run', 42)).toBe('apps-deployer-42-');
    expect(tempDirPrefix('validate', 42)).toBe('apps-deployer-validate-42-');
  });

  it('cover every temp directory the source creates: each mkdtemp under src/ takes tempDirPrefix', () => {
    const src = path.resolve(__dirname, '../../../src');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const kinds: string[] = [];
    for (const f of files) {
      const text = readFileSync(path.join(src, f), 'utf8');
      const calls = [...text.matchAll(/\bmkdtemp(?:Sync)?\(/g)].length;
      const named = [
        ...text.matchAll(/\bmkdtemp(?:Sync)?\(\s*path\.join\([^;]*?tempDirPrefix\('(\w+)'\)\s*\)\s*\)/g),
      ];
      kinds.push(...named.map((m) => m[1] as string));
      expect({ file: f, unnamed: calls - named.length }).toEqual({ file: f, unnamed: 0 });
    }
    // guard against a vacuous pass: the two known ones are seen
    expect([...new Set(kinds)].sort()).toEqual(['run', 'validate']);
  });
});
