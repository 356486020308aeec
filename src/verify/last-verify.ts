/**
 * The last verify's summary, deployer/verify/last.json in the apps bucket: written by every verify
 * (a plain PUT: verify takes no lock, the last one wins), read by `status` to show the drift it found.
 */
import { isNotFound } from '../aws/errors';
import type { S3Port } from '../aws/ports';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import {
  LAST_VERIFY_KEY,
  LAST_VERIFY_MAX_DRIFT,
  VERIFY_VERSION,
  type Drift,
  type LastVerify,
  type VerifyReport,
} from './types';
import { readBodyText } from '../aws/body';

/** A summary larger than this is not read (a hostile or damaged object). */
const MAX_LAST_VERIFY_BYTES = 256 * 1024;

export function summarize(report: VerifyReport): LastVerify {
  return {
    verifyVersion: VERIFY_VERSION,
    at: report.generatedAt,
    runId: report.runId,
    ...(report.only !== undefined ? { only: report.only } : {}),
    repair: report.repair,
    versions: report.versions,
    driftCount: report.drift.length,
    drift: report.drift.slice(0, LAST_VERIFY_MAX_DRIFT),
    foreignCount: report.foreign.length,
  };
}

/** Writes the summary; a failure is logged, not fatal (the verify's own result stands). */
export async function writeLastVerify(
  s3: S3Port,
  bucket: string,
  report: VerifyReport,
  logger: Logger,
): Promise<void> {
  try {
    await s3.putObject({
      Bucket: bucket,
      Key: LAST_VERIFY_KEY,
      Body: JSON.stringify(summarize(report)),
      ContentType: 'application/json',
    });
  } catch (err) {
    logger.warn(
      { err: { message: errorMessage(err) } },
      `the last verify's summary was not written to ${LAST_VERIFY_KEY}`,
    );
  }
}

/** The last verify's summary; undefined when there is none or it is not one. */
export async function readLastVerify(
  s3: Pick<S3Port, 'getObject'>,
  bucket: string,
): Promise<LastVerify | undefined> {
  let text: string;
  try {
    const res = await s3.getObject({ Bucket: bucket, Key: LAST_VERIFY_KEY });
    const read = await readBodyText(res, MAX_LAST_VERIFY_BYTES);
    if (read === undefined) return undefined;
    text = read;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<LastVerify> | null;
    if (
      !v ||
      v.verifyVersion !== VERIFY_VERSION ||
      typeof v.at !== 'string' ||
      typeof v.runId !== 'string' ||
      (v.only !== undefined && typeof v.only !== 'string') ||
      typeof v.repair !== 'boolean' ||
      !Number.isSafeInteger(v.versions) ||
      !Number.isSafeInteger(v.driftCount) ||
      !Number.isSafeInteger(v.foreignCount) ||
      !Array.isArray(v.drift) ||
      !v.drift.every(isDrift)
    )
      return undefined;
    return v as LastVerify;
  } catch {
    return undefined;
  }
}

/** The object lives under deployer/, which others may write: every field shown is checked. */
function isDrift(d: unknown): d is Drift {
  if (typeof d !== 'object' || d === null) return false;
  const r = d as Record<string, unknown>;
  return ['appId', 'version', 'kind', 'resource', 'detail'].every((k) => typeof r[k] === 'string');
}
