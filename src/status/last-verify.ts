/**
 * `status`'s view of the last `verify` (deployer/verify/last.json, written by every verify): when, how
 * many versions, the drift it found (for `status APP_ID`, that app's only). One GetObject; a summary
 * that cannot be read is a problem of the status, not a failure.
 */
import type { S3Port } from '../aws/ports';
import { errorMessage } from '../errors';
import { escapeTerminal as t } from '../text/escape';
import { readLastVerify } from '../verify/last-verify';
import { LAST_VERIFY_KEY, type LastVerify } from '../verify/types';

/** Drift lines shown by the human status (the JSON has all the summary keeps). */
const SHOWN = 10;

export async function lastVerifyOf(
  s3: S3Port,
  bucket: string,
  appId: string | undefined,
  problems: string[],
): Promise<LastVerify | undefined> {
  try {
    const last = await readLastVerify(s3, bucket);
    if (!last || appId === undefined) return last;
    const drift = last.drift.filter((d) => d.appId === appId);
    return { ...last, drift, driftCount: drift.length };
  } catch (err) {
    problems.push(`s3://${bucket}/${LAST_VERIFY_KEY}: ${errorMessage(err)}`);
    return undefined;
  }
}

export function formatLastVerify(last: LastVerify | undefined): string[] {
  if (!last) return ['', 'Last verify: none recorded (`apps-deployer verify`)'];
  const scope = last.only !== undefined ? ` (--only ${t(last.only)})` : '';
  const lines = [
    '',
    `Last verify: ${t(last.at)}${scope}${last.repair ? ' with --repair' : ''}: ${last.versions} version(s), ` +
      `${last.driftCount === 0 ? 'no drift' : `${last.driftCount} drift`}` +
      `${last.foreignCount > 0 ? `, ${last.foreignCount} foreign object(s)` : ''}`,
  ];
  for (const d of last.drift.slice(0, SHOWN))
    lines.push(`  ${t(d.appId)} ${t(d.version)} ${t(d.resource)}: ${t(d.kind)}: ${t(d.detail)}`);
  if (last.driftCount > SHOWN) lines.push(`  … (\`apps-deployer verify\` lists them all)`);
  return lines;
}
