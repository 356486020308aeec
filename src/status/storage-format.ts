/** Human form of `status APP_ID`'s storage section (status/storage.ts). Names come from manifests
 * and listings: escaped for the terminal. */
import { escapeTerminal as t } from '../text/escape';
import { renderTable } from '../reconcile/observers/format';
import type { StorageUsage } from './types';

/** 1536 → "1.5 KiB"; below 1 KiB, bytes. */
export function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = 'B';
  for (const u of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = u;
  }
  return `${value.toFixed(1)} ${unit}`;
}

export function formatStorage(appId: string, s: StorageUsage): string[] {
  const out = ['', `Storage of ${t(appId)} (what the deployer accounts for)`];
  const rows = s.byVersion.map((v) => [
    t(v.version),
    String(v.functions),
    formatBytes(v.functionCodeBytes),
    `${formatBytes(v.stagedCodeBytes)} (${v.stagedCodeObjects})`,
  ]);
  rows.push([
    'all',
    String(s.functions),
    formatBytes(s.functionCodeBytes),
    `${formatBytes(s.stagedCodeBytes)} (${s.stagedCodeObjects})`,
  ]);
  out.push(renderTable(['VERSION', 'FUNCTIONS', 'FUNCTION CODE', 'STAGED CODE (OBJECTS)'], rows, '  '));
  out.push(
    "  Function code counts against Lambda's code storage of the region (75 GB, shared by every function",
    '  of the account); staged code is under deployer/code/ in the apps bucket (shared objects counted once).',
  );
  for (const u of s.unaccounted)
    out.push(`  not counted: ${t(u.lambdaName)} (version ${t(u.version)}): ${t(u.reason)}`);
  return out;
}
