/**
 * Stable, machine-readable codes of validation findings, and helpers to build them. A code names the
 * rule; the message names the problem, the entry or JSON path, and what to do.
 */
import type { Issue } from './types';

export const ISSUE_CODES = [
  // the bundle file as a zip
  'BUNDLE_TOO_LARGE',
  'NOT_A_ZIP',
  'TRUNCATED_ZIP',
  'CORRUPT_ZIP',
  'MULTI_DISK_ZIP',
  'TOO_MANY_ENTRIES',
  'TOTAL_UNZIPPED_TOO_LARGE',
  'OVERLAPPING_ENTRIES',
  'ZIP_END_RECORD_MISMATCH',
  'ZIP64_MISMATCH',
  'ZIP_TRAILING_DATA',
  'ZIP_LEADING_DATA',
  'TOO_MANY_FUNCTIONS',
  'TOO_MANY_STATIC_FILES',
  // one entry of the bundle
  'BAD_ENTRY_NAME',
  'UNSAFE_ENTRY_PATH',
  'DUPLICATE_ENTRY',
  'SYMLINK_ENTRY',
  'SPECIAL_FILE_ENTRY',
  'ENCRYPTED_ENTRY',
  'UNSUPPORTED_COMPRESSION',
  'COMPRESSION_RATIO_TOO_HIGH',
  'ENTRY_SIZE_MISMATCH',
  'ENTRY_CRC_MISMATCH',
  'ENTRY_UNREADABLE',
  'LOCAL_HEADER_MISMATCH',
  'ENTRY_OUT_OF_BOUNDS',
  'DIRECTORY_WITH_DATA',
  'IGNORED_ENTRY',
  // manifest.json
  'MANIFEST_MISSING',
  'MANIFEST_TOO_LARGE',
  'MANIFEST_NOT_UTF8',
  'MANIFEST_NOT_JSON',
  'MANIFEST_BOM',
  'MANIFEST_DUPLICATE_KEY',
  'MANIFEST_TOO_DEEP',
  'MANIFEST_FORBIDDEN_KEY',
  'MANIFEST_LONE_SURROGATE',
  'MANIFEST_INEXACT_NUMBER',
  'MANIFEST_STORED_TOO_LARGE',
  'MANIFEST_NOT_STORABLE',
  'MANIFEST_SCHEMA',
  'BAD_HOMEPAGE_URL',
  'APP_TYPE_NOT_AWS_LAMBDA',
  'UNKNOWN_PERMISSION',
  'NO_FUNCTIONS',
  'DUPLICATE_FUNCTION_NAME',
  'LAMBDA_NAME_COLLISION',
  'LONG_LAMBDA_NAME',
  'DUPLICATE_FUNCTION_PATH',
  'RUNTIME_DEPRECATED',
  'RUNTIME_CREATE_BLOCKED',
  'RUNTIME_CONTAINER_ONLY',
  'RUNTIME_UNKNOWN_VERSION',
  'RUNTIME_UNKNOWN',
  'ICON_NOT_FOUND',
  // function zips
  'FUNCTION_ZIP_MISSING',
  'FUNCTION_ZIP_AMBIGUOUS',
  'FUNCTION_ZIP_TOO_LARGE',
  'FUNCTION_ZIP_INVALID',
  'FUNCTION_ZIP_TOO_MANY_ENTRIES',
  'FUNCTION_UNZIPPED_TOO_LARGE',
  'FUNCTION_ZIP_ENCRYPTED',
  'FUNCTION_ZIP_EMPTY',
  'HANDLER_FILE_NOT_FOUND',
  'HANDLER_INVALID',
  'LAMBDA_LIMIT',
  // static assets
  'STATIC_KEY_COLLISION',
  'STATIC_KEY_TOO_LONG',
] as const;

export type IssueCode = (typeof ISSUE_CODES)[number];

/** The path of findings about the bundle file as a whole (not one entry, not the manifest). */
export const BUNDLE_PATH = '(bundle)';

export function error(code: IssueCode, path: string, message: string): Issue {
  return { severity: 'error', code, path, message };
}

export function warning(code: IssueCode, path: string, message: string): Issue {
  return { severity: 'warning', code, path, message };
}

/** Collects findings in the order they are found. */
export class IssueList {
  readonly items: Issue[] = [];

  add(issue: Issue): void {
    this.items.push(issue);
  }

  error(code: IssueCode, path: string, message: string): void {
    this.items.push(error(code, path, message));
  }

  warning(code: IssueCode, path: string, message: string): void {
    this.items.push(warning(code, path, message));
  }

  get errors(): Issue[] {
    return this.items.filter((i) => i.severity === 'error');
  }

  get warnings(): Issue[] {
    return this.items.filter((i) => i.severity === 'warning');
  }

  hasErrors(): boolean {
    return this.items.some((i) => i.severity === 'error');
  }
}

/** A value quoted for a message: JSON string syntax, so spaces, quotes and control characters show. */
export function q(value: string): string {
  return JSON.stringify(value);
}

/** Human size: "52,428,800 bytes (50.0 MiB)". */
export function bytes(n: number): string {
  const mib = n / (1024 * 1024);
  return `${n.toLocaleString('en-US')} bytes${n >= 1024 * 1024 ? ` (${mib.toFixed(1)} MiB)` : ''}`;
}
