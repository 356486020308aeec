/**
 * How findings inside a function zip become bundle issues. Path: `<fn>.zip` for the function zip as a
 * whole, `<fn>.zip/<inner entry>` for one of its entries. Codes: size and CRC failures of an inner
 * entry keep ENTRY_SIZE_MISMATCH / ENTRY_CRC_MISMATCH; the entry cap is FUNCTION_ZIP_TOO_MANY_ENTRIES;
 * encrypted entries are gathered into one FUNCTION_ZIP_ENCRYPTED; every other structural problem
 * (end record, zip64, local headers, ranges, names, kinds) is FUNCTION_ZIP_INVALID, its message naming
 * the function zip, the inner entry and the problem, with the code the same problem has in a bundle.
 */
import { q, type IssueCode, type IssueList } from '../issues';
import type { ZipEntry, ZipIssueCode, ZipReporter } from '../zip/format';

const KEPT: ReadonlySet<ZipIssueCode> = new Set(['ENTRY_SIZE_MISMATCH', 'ENTRY_CRC_MISMATCH']);
/** Problems of the whole zip (no entry) that mean "this is not a zip we can read". */
const NOT_A_ZIP: ReadonlySet<ZipIssueCode> = new Set([
  'NOT_A_ZIP',
  'TRUNCATED_ZIP',
  'CORRUPT_ZIP',
  'MULTI_DISK_ZIP',
]);

export class FunctionZipReporter implements ZipReporter {
  /** errors reported for this function zip */
  errors = 0;
  readonly encrypted: string[] = [];

  constructor(
    /** the function zip's entry label in the bundle ("fn.zip") */
    readonly zipLabel: string,
    private readonly issues: IssueList,
  ) {}

  pathOf(entry: ZipEntry | undefined): string {
    return entry ? `${this.zipLabel}/${entry.label}` : this.zipLabel;
  }

  error(code: IssueCode, path: string, message: string): void {
    this.errors++;
    this.issues.error(code, path, message);
  }

  report(code: ZipIssueCode, entry: ZipEntry | undefined, message: string): void {
    const fz = `function zip ${q(this.zipLabel)}`;
    if (code === 'ENCRYPTED_ENTRY' && entry) {
      this.errors++;
      this.encrypted.push(entry.label);
    } else if (code === 'TOO_MANY_ENTRIES') {
      this.error('FUNCTION_ZIP_TOO_MANY_ENTRIES', this.zipLabel, `${fz}: ${message}`);
    } else if (KEPT.has(code)) {
      this.error(code as IssueCode, this.pathOf(entry), `${fz}: ${message}`);
    } else if (!entry && NOT_A_ZIP.has(code)) {
      this.error('FUNCTION_ZIP_INVALID', this.zipLabel, `${fz} is not a valid zip: ${message} [${code}]`);
    } else {
      this.error('FUNCTION_ZIP_INVALID', this.pathOf(entry), `${fz}: ${message} [${code}]`);
    }
  }

  /** The one FUNCTION_ZIP_ENCRYPTED issue, if any entry was encrypted. */
  flushEncrypted(): void {
    const e = this.encrypted;
    if (e.length === 0) return;
    this.issues.error(
      'FUNCTION_ZIP_ENCRYPTED',
      this.zipLabel,
      `function zip ${q(this.zipLabel)} has encrypted entries (${e
        .slice(0, 3)
        .map((n) => q(n))
        .join(', ')}${e.length > 3 ? ', ...' : ''}); Lambda cannot unpack them`,
    );
  }
}
