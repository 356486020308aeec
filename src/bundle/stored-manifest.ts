/**
 * The manifest as it will be stored (DESIGN.md "Names and keys": `aws_lambda` in the object form, every
 * other field as given), serialized once during validation: the provisioner writes exactly these
 * bytes, so nothing the validator accepts can fail when it is stored. The serialized form must stay
 * under MAX_STORED_MANIFEST_BYTES and read back (strictly) equal to the normalized manifest.
 */
import { isDeepStrictEqual } from 'node:util';
import { IssueList, bytes } from './issues';
import { MAX_MANIFEST_DEPTH } from './manifest-json';
import { parseStrictJson } from './strict-json';

/** The stored (indented) manifest's limit: 4x the bundle's manifest limit, so that only the indentation
 * of a pathologically nested manifest, never real content, can reach it. */
export const MAX_STORED_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface StoredManifest {
  /** the normalized manifest */
  value: Record<string, unknown>;
  /** its serialized form, exactly what PutObject sends (UTF-8) */
  json: string;
}

/**
 * The manifest that will be stored: `aws_lambda` in the object form `{"functions": [...]}` (the only form
 * the Apps plugin reads), every other field (unknown ones included) as given, in the given order.
 */
export function normalizeManifest(manifest: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(manifest)) {
    out[key] = key === 'aws_lambda' && Array.isArray(value) ? { functions: value } : value;
  }
  return out;
}

/** The bytes of the stored manifest: indented JSON (standard escaping) and a final newline. */
export function serializeManifest(stored: Record<string, unknown>): string {
  return `${JSON.stringify(stored, null, 2)}\n`;
}

/** Normalizes and serializes the manifest; an issue and undefined when the result cannot be stored. */
export function storeManifest(
  manifest: Record<string, unknown>,
  issues: IssueList,
  maxBytes = MAX_STORED_MANIFEST_BYTES,
): StoredManifest | undefined {
  const value = normalizeManifest(manifest);
  const json = serializeManifest(value);
  const size = Buffer.byteLength(json);
  if (size > maxBytes) {
    issues.error(
      'MANIFEST_STORED_TOO_LARGE',
      'manifest.json',
      `the stored (indented) manifest would be ${bytes(size)}, more than the limit of ${bytes(maxBytes)}; make it smaller or less deeply nested`,
    );
    return undefined;
  }
  // the depth grows by one where aws_lambda becomes {"functions": [...]}
  const back = parseStrictJson(json, { maxDepth: MAX_MANIFEST_DEPTH + 1 });
  if (!back.ok || back.problems.length > 0 || !isDeepStrictEqual(back.value, value)) {
    issues.error(
      'MANIFEST_NOT_STORABLE',
      'manifest.json',
      'the manifest does not read back equal to itself once serialized for storage; report this bundle to the deployer team',
    );
    return undefined;
  }
  return { value, json };
}
