/**
 * Errors of the bundle domain. `validateBundle` never throws for bad content (it returns every issue);
 * these are for callers that need to throw (provision, upload) and for I/O failures.
 */
import { DeployerError } from '../errors';
import type { Issue } from './types';

/** A bundle whose content is not deployable. Carries every issue found. */
export class BundleInvalidError extends DeployerError {
  readonly issues: Issue[];

  constructor(bundle: string, issues: Issue[], cause?: unknown) {
    const errors = issues.filter((i) => i.severity === 'error');
    const shown = errors.length > 0 ? errors : issues;
    const lines = shown.map((i) => `  - ${i.path ? `${i.path}: ` : ''}${i.message} [${i.code}]`);
    super(
      `bundle ${bundle} is invalid (${errors.length} error${errors.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
      {
        code: 'BUNDLE_INVALID',
        bundle,
        cause,
        hint: 'fix the bundle and build it again; `apps-deployer validate` lists every problem',
      },
    );
    this.issues = issues;
  }
}

/** The bundle file could not be read (missing, unreadable, a directory...). Not a content problem. */
export class BundleReadError extends DeployerError {
  constructor(bundle: string, message: string, cause?: unknown, resource?: string) {
    super(`cannot read bundle ${bundle}: ${message}`, {
      code: 'BUNDLE_UNREADABLE',
      bundle,
      resource,
      cause,
      hint: 'check the path and its permissions',
    });
  }
}

/** A named entry is missing from a bundle, or its bytes do not match the central directory. */
export class BundleEntryError extends DeployerError {
  constructor(bundle: string, entry: string, message: string, code = 'BUNDLE_ENTRY', cause?: unknown) {
    super(`bundle ${bundle}, entry "${entry}": ${message}`, {
      code,
      bundle,
      resource: entry,
      cause,
      hint: 'validate the bundle again; if it changed after validation, provision it again',
    });
  }
}
