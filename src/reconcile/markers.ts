/**
 * Markers: one small object per judged release object, whose KEY carries everything the plan needs
 * (stem, ETag, outcome, validator version), so that a run recognizes judged objects from a listing:
 *
 *   deployer/seen/<stem>/<etag without quotes>/<outcome>-v<validator version>
 *
 * where stem = <app_id>_<version> for canonical release keys, or
 * _noncanonical/<sha256 hex of the release key> for the others. The body (MarkerBody JSON) is for
 * humans and `status`.
 */
import { createHash } from 'node:crypto';
import type { S3Port } from '../aws/ports';
import { STATE_KEYS, VALIDATOR_VERSION, type MarkerBody, type MarkerOutcome } from './types';

export const MARKER_OUTCOMES: readonly MarkerOutcome[] = [
  'provisioned',
  'identical',
  'conflict',
  'collision',
  'rejected',
  'failed',
  'retired',
  'pruned',
];

export interface MarkerRef {
  stem: string;
  /** without quotes */
  etag: string;
  outcome: MarkerOutcome;
  validatorVersion: number;
}

export interface ParsedMarker extends MarkerRef {
  key: string;
}

/** An ETag without its surrounding quotes (and without a weak-validator prefix). */
export function bareEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/** An ETag as S3 expects it in If-Match: quoted. */
export function quotedEtag(etag: string): string {
  const bare = bareEtag(etag.trim());
  return `"${bare}"`;
}

export function canonicalStem(appId: string, version: string): string {
  return `${appId}_${version}`;
}

/** _noncanonical/<sha256 of the key>: fixed length, so a marker key never exceeds S3's 1,024 bytes
 * whatever the release key (its body keeps the key itself, for status). */
export function nonCanonicalStem(releaseKey: string): string {
  return `${STATE_KEYS.nonCanonicalStem}/${createHash('sha256').update(releaseKey).digest('hex')}`;
}

export function markerKey(ref: {
  stem: string;
  etag: string;
  outcome: MarkerOutcome;
  validatorVersion?: number;
}): string {
  const v = ref.validatorVersion ?? VALIDATOR_VERSION;
  return `${STATE_KEYS.seenPrefix}${ref.stem}/${encodeURIComponent(bareEtag(ref.etag))}/${ref.outcome}-v${v}`;
}

const OUTCOME_RE = /^(provisioned|identical|conflict|collision|rejected|failed|retired|pruned)-v(\d+)$/;

/** The marker a key names, or undefined for anything else found under deployer/seen/. */
export function parseMarkerKey(key: string): ParsedMarker | undefined {
  if (!key.startsWith(STATE_KEYS.seenPrefix)) return undefined;
  const parts = key.slice(STATE_KEYS.seenPrefix.length).split('/');
  // canonical: <stem>/<etag>/<outcome>; non-canonical: _noncanonical/<encoded key>/<etag>/<outcome>
  const stemParts = parts[0] === STATE_KEYS.nonCanonicalStem ? 2 : 1;
  if (parts.length !== stemParts + 2 || parts.some((p) => p === '')) return undefined;
  const m = OUTCOME_RE.exec(parts[stemParts + 1] ?? '');
  if (!m) return undefined;
  let etag: string;
  try {
    etag = decodeURIComponent(parts[stemParts] ?? '');
  } catch {
    return undefined;
  }
  return {
    key,
    stem: parts.slice(0, stemParts).join('/'),
    etag,
    outcome: m[1] as MarkerOutcome,
    validatorVersion: Number(m[2]),
  };
}

/** Markers by stem, then by bare ETag. */
export type MarkerIndex = Map<string, Map<string, ParsedMarker[]>>;

export function indexMarkers(keys: Iterable<string>): MarkerIndex {
  const index: MarkerIndex = new Map();
  for (const key of keys) {
    const m = parseMarkerKey(key);
    if (!m) continue;
    let byEtag = index.get(m.stem);
    if (!byEtag) index.set(m.stem, (byEtag = new Map()));
    const list = byEtag.get(m.etag);
    if (list) list.push(m);
    else byEtag.set(m.etag, [m]);
  }
  return index;
}

/** Writes a marker (its key and its body). */
export async function writeMarker(
  s3: S3Port,
  bucket: string,
  stem: string,
  body: MarkerBody,
): Promise<string> {
  const key = markerKey({
    stem,
    etag: body.etag,
    outcome: body.outcome,
    validatorVersion: body.validatorVersion,
  });
  await s3.putObject({
    Bucket: bucket,
    Key: key,
    Body: JSON.stringify(body, null, 2),
    ContentType: 'application/json',
  });
  return key;
}
