/**
 * What a provisioned version should have, from things already stored (no bundle download): the
 * manifest body (function names, handlers, runtimes), its metadata (bundle sha256, the body's sha256)
 * and the version record written at provisioning (provision/record.ts: CodeSha256 per function, asset
 * keys with their sha256). With a record, the functions (names, handlers, runtimes) are the record's,
 * so a tampered manifest body is one drift (its hash), not a source of expectations. A manifest written
 * before records and body hashes existed is checked for what it says (functions, state, configuration,
 * tags), with a notice for what is not checkable.
 */
import { lambdaFunctionName } from '../bundle/names';
import { MANIFEST_METADATA } from '../provision/types';
import { sha256Hex, versionRecordKey, type VersionRecord } from '../provision/record';
import { compareManifestHash, type ExpectedFunction, type ExpectedVersion } from './compare';
import type { Drift, Notice } from './types';

export interface StoredVersion {
  appId: string;
  version: string;
  manifestKey: string;
  body: string;
  metadata: Record<string, string>;
  /** the version record; undefined when there is none (or it is not one) */
  record?: VersionRecord;
}

export interface Expectation {
  expected?: ExpectedVersion;
  drift: Drift[];
  notices: Notice[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The manifest's functions ({name, handler, runtime}); undefined when the body is not a stored manifest. */
function manifestFunctions(body: string): { name: string; handler: string; runtime: string }[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const lambda = isObject(parsed) ? parsed.aws_lambda : undefined;
  const list = isObject(lambda) ? lambda.functions : lambda;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const out: { name: string; handler: string; runtime: string }[] = [];
  for (const f of list) {
    if (
      !isObject(f) ||
      typeof f.name !== 'string' ||
      typeof f.handler !== 'string' ||
      typeof f.runtime !== 'string'
    )
      return undefined;
    out.push({ name: f.name, handler: f.handler, runtime: f.runtime });
  }
  return out;
}

export function expectationOf(stored: StoredVersion): Expectation {
  const { appId, version, manifestKey } = stored;
  const drift: Drift[] = [];
  const notices: Notice[] = [];
  const notice = (resource: string, message: string): void => {
    notices.push({ appId, version, resource, message });
  };

  const storedHash = stored.metadata[MANIFEST_METADATA.manifestSha256];
  if (storedHash === undefined)
    notice(
      manifestKey,
      'the manifest was written before body hashes were recorded: its body is not checkable',
    );
  else {
    const d = compareManifestHash(stored, manifestKey, sha256Hex(stored.body), storedHash);
    if (d) drift.push(d);
  }

  const bundleSha256 = stored.metadata[MANIFEST_METADATA.bundleSha256];
  let record = stored.record;
  if (
    record &&
    (record.bundleSha256 !== bundleSha256 || record.appId !== appId || record.version !== version)
  ) {
    notice(
      versionRecordKey(appId, version),
      'the version record is not of the provisioned bundle: code and assets not checkable',
    );
    record = undefined;
  } else if (!record)
    notice(
      manifestKey,
      'no version record (provisioned before records): code sha256 and assets not checkable; `verify --repair` records it',
    );

  // the record (the deployer's own object) says what the functions are; the body only without one
  const fns = manifestFunctions(stored.body);
  if (!fns)
    drift.push({
      appId,
      version,
      kind: 'manifest-unreadable',
      resource: manifestKey,
      detail: 'the body is not a manifest with aws_lambda functions',
      repairable: storedHash !== undefined,
    });
  const source = record?.functions ?? fns;
  if (!source) return { drift, notices };
  const functions: ExpectedFunction[] = [];
  for (const f of source) {
    let lambdaName: string;
    try {
      lambdaName = lambdaFunctionName(appId, version, f.name).name;
    } catch (err) {
      drift.push({
        appId,
        version,
        kind: 'manifest-unreadable',
        resource: manifestKey,
        detail: `function ${JSON.stringify(f.name)}: ${(err as Error).message}`,
        repairable: false,
      });
      continue;
    }
    const codeSha256 = record?.functions.find((r) => r.lambdaName === lambdaName)?.codeSha256;
    functions.push({
      name: f.name,
      lambdaName,
      runtime: f.runtime,
      handler: f.handler,
      ...(codeSha256 !== undefined ? { codeSha256 } : {}),
    });
  }
  return {
    expected: { appId, version, bundleSha256, functions, assets: record?.assets },
    drift,
    notices,
  };
}
