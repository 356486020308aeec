/**
 * Recognizes the S3 answers reconcile reacts to, by HTTP status (the error class names differ between
 * S3, emulators and SDK versions; the status does not).
 */

export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const meta = (err as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  return typeof meta?.httpStatusCode === 'number' ? meta.httpStatusCode : undefined;
}

/** 412: an If-Match / If-None-Match condition did not hold. */
export function isPreconditionFailed(err: unknown): boolean {
  return httpStatusOf(err) === 412 || (err as { name?: string } | null)?.name === 'PreconditionFailed';
}

/** 409 ConditionalRequestConflict: a concurrent conditional write to the same key; treat as a lost race. */
export function isConditionalConflict(err: unknown): boolean {
  return (
    httpStatusOf(err) === 409 || (err as { name?: string } | null)?.name === 'ConditionalRequestConflict'
  );
}

export function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return httpStatusOf(err) === 404 || name === 'NoSuchKey' || name === 'NotFound';
}
