/**
 * Public types of `prune` (DESIGN.md "CLI": prune): which versions it retires and why, what the
 * retention removes, and what an --apply run did. `prune --json` prints the PruneReport.
 */
export const PRUNE_VERSION = 1;

/** Defaults of the command line (src/cli/commands/prune.ts). */
export const PRUNE_DEFAULTS = {
  keep: 3,
  olderThanDays: 30,
  /** run records kept whatever their age (the newest by LastModified) */
  keepRunRecords: 50,
} as const;

export type VersionAction =
  /** kept: newest, among the --keep newest, pinned, younger than --older-than, or of unknown age */
  | 'keep'
  /** to retire in this run */
  | 'retire'
  /** a retirement a former run began (retired marker, no pruned marker): completed in this run */
  | 'resume';

export interface VersionDecision {
  appId: string;
  version: string;
  manifestKey: string;
  /** the manifest's ETag from the listing (absent once the manifest is gone: a resumed retirement) */
  manifestEtag?: string;
  /** the manifest's LastModified (when the version went live) */
  deployedAt?: string;
  action: VersionAction;
  reason: string;
}

export interface RetentionPlan {
  /** run records under deployer/runs/ to expire */
  runRecords: { expire: string[]; kept: number; retentionDays: number; keepNewest: number };
  /** staged code deployer/code/<sha256 hex>.zip to delete (no function uses its sha256) */
  stagedCode: { remove: string[]; inUse: number; young: number; unrecognized: number };
}

export type RetireStatus = 'retired' | 'failed';

export interface RetireResult {
  appId: string;
  version: string;
  status: RetireStatus;
  manifestDeleted: boolean;
  functionsDeleted: string[];
  /** functions named by the manifest but left: their tags do not name this version (not ours) */
  functionsLeft: string[];
  assetsDeleted: number;
  /** why assets were left (the release bundle could not be read) */
  assetsNote?: string;
  error?: { code: string; message: string };
}

export interface PruneReport {
  pruneVersion: typeof PRUNE_VERSION;
  runId: string;
  dryRun: boolean;
  appsBucket: string;
  options: { keep: number; olderThanDays: number; only?: string; pinned: string[] };
  versions: VersionDecision[];
  retention: RetentionPlan;
  /** --apply: what each retirement did */
  retired?: RetireResult[];
  /** --apply: what the retention removed */
  removed?: { runRecords: number; stagedCode: number };
  exitCode: number;
  error?: { code: string; message: string };
  requests: Record<string, number>;
}
