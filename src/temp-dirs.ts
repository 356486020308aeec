/**
 * The deployer's own temp directories, and the sweep of those a run killed hard left behind
 * (SIGKILL, OOMKilled, a node lost: no `finally` ran). A run creates them with mkdtemp under
 * os.tmpdir(), named by tempDirPrefix: `apps-deployer-<pid>-XXXXXX` (reconcile's bundles,
 * src/reconcile/run.ts) and `apps-deployer-validate-<pid>-XXXXXX` (function zips being checked,
 * src/bundle/content.ts); mkdtemp's suffix is six characters of [A-Za-z0-9]. Names without the pid
 * (`apps-deployer-XXXXXX`, `apps-deployer-validate-XXXXXX`) are those of earlier versions.
 *
 * At the start of a run the sweep removes such a directory when ALL of these hold, and leaves
 * anything else alone:
 * - its name is exactly one of those shapes (not `apps-deployer-chart-…`, not `apps-deployer-x`);
 * - it is a real directory, not a symlink (lstat: a link is never followed, nor removed);
 * - it belongs to the user running the deployer (another user's directory is theirs);
 * - nothing in it changed for longer than `maxAgeMs` (the lock TTL): the newest mtime of the
 *   directory and of its entries (a live run writes its files as it downloads and stages);
 * - the process named in it is gone. The lock is per apps bucket, not per host: two deployers of
 *   different installs (or test workers) may share a temp root, and a live run can leave its files
 *   unchanged for longer than the TTL (provisioning waits); its pid keeps its directory. A pid reused
 *   by another process only delays the sweep to a later run.
 * Removal never follows a link inside the directory (fs.rm removes the link itself). The sweep never
 * fails the run: a directory it cannot read or remove is logged and left.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from './errors';
import type { Logger } from './log';

export type TempDirKind = 'run' | 'validate';

/** The mkdtemp prefix of one of the deployer's temp directories (the sweep knows exactly these). */
export function tempDirPrefix(kind: TempDirKind, pid: number = process.pid): string {
  return kind === 'run' ? `apps-deployer-${pid}-` : `apps-deployer-validate-${pid}-`;
}

/** A name mkdtemp gave one of our prefixes: the prefix (its pid optional: earlier versions), then
 * exactly six [A-Za-z0-9]. */
const OUR_NAME = /^apps-deployer-(?:validate-)?(?:([0-9]{1,10})-)?[A-Za-z0-9]{6}$/;

/** Is the process that created a directory still running? Our own pid counts as alive. */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0); // signal 0: only checks that the process exists
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, another user's
  }
}

/** Entries of a directory read to judge its age; ours hold a handful of files. */
const MAX_ENTRIES_EXAMINED = 1000;

export interface SweepOptions {
  /** how long nothing in a directory changed before it is judged abandoned (the lock TTL) */
  maxAgeMs: number;
  logger: Logger;
  /** where runs create their directories (default os.tmpdir()) */
  root?: string;
  now?: () => number;
  /** the owner a directory must have (default: this process's uid; undefined on Windows: any) */
  uid?: number;
}

export interface SweptDir {
  path: string;
  /** milliseconds since anything in it last changed */
  idleMs: number;
}

export interface SweepResult {
  removed: SweptDir[];
  /** our directories left because they may be a live run's (recent, or their process runs) */
  recent: number;
}

export function isOurTempDirName(name: string): boolean {
  return OUR_NAME.test(name);
}

/** Newest mtime of the directory and its direct entries (lstat: links are not followed). */
async function lastChangeMs(dir: string, dirMtimeMs: number): Promise<number> {
  let newest = dirMtimeMs;
  const entries = await readdir(dir);
  for (const name of entries.slice(0, MAX_ENTRIES_EXAMINED)) {
    try {
      newest = Math.max(newest, (await lstat(path.join(dir, name))).mtimeMs);
    } catch {
      // removed meanwhile: its directory's mtime changed with it
    }
  }
  return newest;
}

type Verdict = { remove: true; idleMs: number } | { remove: false; recent: boolean };

async function judge(dir: string, options: SweepOptions, uid: number | undefined): Promise<Verdict> {
  const pid = OUR_NAME.exec(path.basename(dir))?.[1];
  if (pid !== undefined && processAlive(Number(pid))) return { remove: false, recent: true };
  const stat = await lstat(dir);
  if (!stat.isDirectory() || stat.isSymbolicLink()) return { remove: false, recent: false };
  if (uid !== undefined && stat.uid !== uid) return { remove: false, recent: false };
  const idleMs = (options.now ?? Date.now)() - (await lastChangeMs(dir, stat.mtimeMs));
  return idleMs > options.maxAgeMs ? { remove: true, idleMs } : { remove: false, recent: true };
}

/** Removes the deployer's own temp directories abandoned by killed runs; see the module comment. */
export async function sweepStaleTempDirs(options: SweepOptions): Promise<SweepResult> {
  const root = options.root ?? os.tmpdir();
  const uid = 'uid' in options ? options.uid : process.getuid?.();
  const result: SweepResult = { removed: [], recent: 0 };
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    options.logger.warn(
      { root, err: { message: errorMessage(err) } },
      'temp sweep: cannot list the temp root',
    );
    return result;
  }
  for (const name of names.filter(isOurTempDirName)) {
    const dir = path.join(root, name);
    try {
      const verdict = await judge(dir, options, uid);
      if (!verdict.remove) {
        if (verdict.recent) result.recent++;
        continue;
      }
      await rm(dir, { recursive: true, force: true });
      result.removed.push({ path: dir, idleMs: verdict.idleMs });
      options.logger.info(
        { dir, idleSeconds: Math.round(verdict.idleMs / 1000) },
        'temp sweep: removed a temp directory left by a killed run',
      );
    } catch (err) {
      options.logger.warn(
        { dir, err: { message: errorMessage(err) } },
        'temp sweep: directory left as it is',
      );
    }
  }
  return result;
}
