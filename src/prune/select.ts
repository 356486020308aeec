/**
 * Which versions `prune` retires: a pure function of the manifests listing, the marker listing, the
 * pin list and the options. Never an app's newest version, never one of its --keep newest, never a
 * pinned one, never one younger than --older-than (by its manifest's LastModified) or of unknown age.
 * A version whose retirement a former run began (a `retired` marker without a `pruned` one) is
 * resumed whatever the options: its retirement was decided.
 *
 * Order (newest first): by semver when every live version of the app parses as semver (MAJOR.MINOR.PATCH
 * with an optional -prerelease, an optional leading "v"), else by the manifest's LastModified. A
 * pairwise rule ("semver where both parse, else LastModified") is not a total order when an app mixes
 * both kinds (2.0.0 < x < 1.0.0 < 2.0.0 can happen), so the app as a whole picks one.
 */
import { canonicalStem, parseMarkerKey } from '../reconcile/markers';
import type { ListedObject } from '../reconcile/listing';
import { STATE_KEYS } from '../reconcile/types';
import { pinKey } from './pins';
import type { VersionDecision } from './types';

export interface SelectInput {
  manifests: readonly ListedObject[];
  markerKeys: readonly string[];
  keep: number;
  olderThanDays: number;
  pinned: readonly string[];
  only?: string;
  now: Date;
}

interface Semver {
  nums: [number, number, number];
  pre: string[];
}

const SEMVER_RE = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

export function parseSemver(version: string): Semver | undefined {
  const m = SEMVER_RE.exec(version);
  if (!m) return undefined;
  return { nums: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ? m[4].split('.') : [] };
}

function comparePre(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length; // a release ranks above its prereleases
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i] as string, b[i] as string];
    const [nx, ny] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1; // numeric identifiers rank below alphanumeric ones
    if (!nx && x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Semver precedence: negative when a < b. */
export function compareSemver(a: Semver, b: Semver): number {
  for (let i = 0; i < 3; i++) if (a.nums[i] !== b.nums[i]) return (a.nums[i] ?? 0) - (b.nums[i] ?? 0);
  return comparePre(a.pre, b.pre);
}

interface Live {
  appId: string;
  version: string;
  object: ListedObject;
}

const time = (o: ListedObject): number => o.lastModified?.getTime() ?? 0;

/** The app's live versions, newest first. */
export function newestFirst(versions: readonly Live[]): Live[] {
  const parsed = versions.map((v) => parseSemver(v.version));
  const bySemver = parsed.every((p) => p !== undefined);
  const indexed = versions.map((v, i) => ({ v, p: parsed[i] }));
  indexed.sort((a, b) => {
    const bySem = bySemver && a.p && b.p ? compareSemver(b.p, a.p) : 0;
    return bySem || time(b.v.object) - time(a.v.object) || (a.v.version < b.v.version ? 1 : -1);
  });
  return indexed.map((x) => x.v);
}

/** Stems with a retired marker, and those whose retirement is complete (a pruned marker). */
export function retiredStems(markerKeys: readonly string[]): { retired: Set<string>; pruned: Set<string> } {
  const retired = new Set<string>();
  const pruned = new Set<string>();
  for (const key of markerKeys) {
    const m = parseMarkerKey(key);
    if (m?.outcome === 'retired') retired.add(m.stem);
    if (m?.outcome === 'pruned') pruned.add(m.stem);
  }
  return { retired, pruned };
}

/** `<app_id>_<version>` → its parts (split at the last "_"), or undefined for other stems. */
export function splitStem(stem: string): { appId: string; version: string } | undefined {
  const cut = stem.lastIndexOf('_');
  if (cut <= 0 || cut === stem.length - 1 || stem.includes('/')) return undefined;
  return { appId: stem.slice(0, cut), version: stem.slice(cut + 1) };
}

function parseManifestKey(key: string): { appId: string; version: string } | undefined {
  if (!key.startsWith(STATE_KEYS.manifestsPrefix) || !key.endsWith('.json')) return undefined;
  return splitStem(key.slice(STATE_KEYS.manifestsPrefix.length, -'.json'.length));
}

/** Stems of listed manifests that a retired marker alone never retires: each app's newest version
 * (among all its listed manifests) and the pinned ones. */
function guardedStems(manifestOf: ReadonlyMap<string, ListedObject>, pins: ReadonlySet<string>): Set<string> {
  const byApp = new Map<string, Live[]>();
  for (const [stem, object] of manifestOf) {
    const parts = splitStem(stem);
    if (!parts) continue;
    byApp.set(parts.appId, [...(byApp.get(parts.appId) ?? []), { ...parts, object }]);
  }
  const out = new Set<string>();
  for (const list of byApp.values()) {
    const newest = newestFirst(list)[0];
    if (newest) out.add(canonicalStem(newest.appId, newest.version));
    for (const v of list)
      if (pins.has(pinKey(v.appId, v.version))) out.add(canonicalStem(v.appId, v.version));
  }
  return out;
}

export function selectVersions(input: SelectInput): VersionDecision[] {
  const { retired, pruned } = retiredStems(input.markerKeys);
  const pins = new Set(input.pinned);
  const cutoff = input.now.getTime() - input.olderThanDays * 86_400_000;
  const byApp = new Map<string, Live[]>();
  const out: VersionDecision[] = [];
  const manifestOf = new Map<string, ListedObject>();
  for (const object of input.manifests) {
    const parsed = parseManifestKey(object.key);
    if (!parsed || (input.only !== undefined && parsed.appId !== input.only)) continue;
    manifestOf.set(`${parsed.appId}_${parsed.version}`, object);
  }
  // a retired marker is an object under deployer/ that anyone who can write there may forge: while the
  // version's manifest is listed, no marker retires the app's newest version or a pinned one
  const guarded = guardedStems(manifestOf, pins);
  // retirements begun by a former run: completed whatever the options (the manifest may be gone)
  for (const stem of [...retired].sort()) {
    const parts = splitStem(stem);
    if (!parts || pruned.has(stem) || (input.only !== undefined && parts.appId !== input.only)) continue;
    if (guarded.has(stem)) continue;
    const object = manifestOf.get(stem);
    out.push({
      ...parts,
      manifestKey: `${STATE_KEYS.manifestsPrefix}${stem}.json`,
      ...(object ? { manifestEtag: object.etag, deployedAt: object.lastModified?.toISOString() } : {}),
      action: 'resume',
      reason: 'a former prune began its retirement (retired marker): completed now',
    });
  }
  for (const [stem, object] of manifestOf) {
    // resumed above; a manifest that came back after a complete retirement (written by `provision`,
    // which reads no markers) is live again and left alone
    if (retired.has(stem) && !pruned.has(stem) && !guarded.has(stem)) continue;
    const parts = splitStem(stem);
    if (!parts) continue;
    const list = byApp.get(parts.appId) ?? [];
    list.push({ ...parts, object });
    byApp.set(parts.appId, list);
  }
  for (const appId of [...byApp.keys()].sort()) {
    newestFirst(byApp.get(appId) ?? []).forEach((v, rank) => {
      const base = {
        appId: v.appId,
        version: v.version,
        manifestKey: v.object.key,
        manifestEtag: v.object.etag,
        deployedAt: v.object.lastModified?.toISOString(),
      };
      const keep = (reason: string): VersionDecision => ({ ...base, action: 'keep', reason });
      if (rank === 0) out.push(keep("the app's newest version"));
      else if (rank < input.keep) out.push(keep(`among the ${input.keep} newest (--keep)`));
      else if (pins.has(pinKey(v.appId, v.version))) out.push(keep('pinned (APPS_DEPLOYER_PRUNE_PINNED)'));
      else if (v.object.lastModified === undefined) out.push(keep('its age is unknown (no LastModified)'));
      else if (time(v.object) > cutoff)
        out.push(keep(`deployed less than ${input.olderThanDays} days ago (--older-than)`));
      else
        out.push({
          ...base,
          action: 'retire',
          reason: `older than ${input.olderThanDays} days, not among the ${input.keep} newest`,
        });
    });
  }
  return out;
}
