/**
 * Check: the entries' byte ranges (local header to the end of the data and descriptor, as the LOCAL
 * header places them) tile the start of the file: the first begins at offset 0 (nothing before it: no
 * self-extractor stub, no hidden prefix a reader could take for a zip of its own), and no two overlap
 * (the overlapping-files zip bomb, or two names sharing data), and no bytes lie between them or
 * between the last one and the central directory: such bytes belong to no record, and a streaming
 * reader (which walks local headers, not the directory) would read an entry hidden there. A gap is
 * reported as ZIP_END_RECORD_MISMATCH (the directory does not account for the whole file). Bounds
 * against the central directory are checked per entry (checks/local-headers.ts). One sort: O(n log n).
 */
import { q } from '../issues';
import type { ZipEntry, ZipReporter } from '../zip/format';

/** `localsAgree`: every local header agreed with its record (else a gap would only echo that error). */
export function checkDataRanges(
  entries: readonly ZipEntry[],
  cdOffset: number,
  r: ZipReporter,
  localsAgree = true,
): void {
  const placed = entries.filter((e) => e.end >= 0);
  placed.sort((a, b) => a.localHeaderOffset - b.localHeaderOffset || a.index - b.index);
  const first = placed[0]?.localHeaderOffset ?? cdOffset;
  if (first > 0) {
    r.report(
      'ZIP_LEADING_DATA',
      undefined,
      `${first} bytes of leading data come before the first ${placed.length > 0 ? 'local header' : 'central directory'} (a prefix such as a self-extractor stub): a zip must start with its first entry`,
    );
  }
  let reach: ZipEntry | undefined;
  const reported = new Set<ZipEntry>();
  const report = (self: ZipEntry, other: ZipEntry): void => {
    if (reported.has(self)) return;
    reported.add(self);
    self.bad = true;
    r.report(
      'OVERLAPPING_ENTRIES',
      self,
      `entry ${q(self.label)} overlaps entry ${q(other.label)}'s bytes (overlapping-files zip bomb, or a corrupt zip)`,
    );
  };
  for (const e of placed) {
    if (reach && e.localHeaderOffset < reach.end) {
      report(reach, e);
      report(e, reach);
    }
    if (!reach || e.end > reach.end) reach = e;
  }
  // gaps are judged only when every entry was placed exactly (a misplaced one already is an error)
  if (localsAgree && placed.length === entries.length) checkGaps(placed, cdOffset, r);
}

/** Bytes that no entry covers, between entries or before the central directory (sorted input). */
function checkGaps(sorted: readonly ZipEntry[], cdOffset: number, r: ZipReporter): void {
  let reach = 0;
  let before: ZipEntry | undefined;
  const gap = (at: number, until: number, next: string): void => {
    r.report(
      'ZIP_END_RECORD_MISMATCH',
      undefined,
      `${until - at} bytes at offset ${at}${before ? ` (after entry ${q(before.label)})` : ''}, before ${next}, belong to no entry of the central directory: hidden data a streaming reader would see`,
    );
  };
  for (const e of sorted) {
    if (reach > 0 && e.localHeaderOffset > reach) gap(reach, e.localHeaderOffset, `entry ${q(e.label)}`);
    if (e.end > reach) {
      reach = e.end;
      before = e;
    }
  }
  if (sorted.length > 0 && reach < cdOffset) gap(reach, cdOffset, 'the central directory');
}
