/**
 * The bundle tests' hostile corpus (test/unit/bundle/hostile) as release objects for the bad-input
 * suite through `reconcile`: each case built once, with the error codes it must be rejected with and a
 * canonical release key of its own (`<prefix>hx-<tag>-<n>_1.0.zip`), so that the run downloads and
 * validates it (a non-canonical key would be rejected from the listing, before the content is read).
 *
 * Cases that lower a cap to reach it cheaply (`limits`) are left out: the deployer validates with its
 * own caps, which such a bundle stays within.
 */
import { createHash, randomBytes } from 'node:crypto';
import { HOSTILE_CASES } from '../unit/bundle/hostile/corpus';

export interface HostileRelease {
  /** the corpus case's name */
  name: string;
  /** the error codes the rejection must name (one of) */
  codes: string[];
  appId: string;
  version: string;
  key: string;
  bytes: Buffer;
}

/** The corpus cases the deployer's own caps can reach. */
export const REACHABLE_CASES = HOSTILE_CASES.filter((c) => c.limits === undefined);

/**
 * Builds the reachable cases (every one, or every `step`-th one for a representative subset: the
 * corpus is ordered by attack class, so a stride keeps every class) under `prefix`.
 */
export async function hostileReleases(prefix: string, step = 1): Promise<HostileRelease[]> {
  const tag = randomBytes(4).toString('hex');
  const out: HostileRelease[] = [];
  for (const [i, c] of REACHABLE_CASES.entries()) {
    if (i % step !== 0) continue;
    const appId = `hx-${tag}-${i}`;
    const version = '1.0';
    out.push({
      name: c.name,
      codes: typeof c.code === 'string' ? [c.code] : c.code,
      appId,
      version,
      key: `${prefix}${appId}_${version}.zip`,
      bytes: await c.build(),
    });
  }
  return out;
}

/** Lambda's CodeSha256 (base64) as the hex of the staged code key deployer/code/<hex>.zip. */
export function codeKeyOf(codeSha256Base64: string): string {
  return `deployer/code/${Buffer.from(codeSha256Base64, 'base64').toString('hex')}.zip`;
}

export const sha256Hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
