/**
 * Versions of the JSON documents that `validate`, `upload` and `provision` print with --json, like
 * `planVersion`, `reportVersion` and `statusVersion` of plan, reconcile and status: a consumer checks
 * the version it knows. Bump one when a field changes meaning or goes away (adding fields does not).
 */
export const VALIDATE_VERSION = 1;
export const UPLOAD_VERSION = 1;
export const PROVISION_VERSION = 1;

/** Prints a document as indented JSON on stdout. */
export function printJson(doc: object): void {
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}
