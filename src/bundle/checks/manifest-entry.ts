/**
 * Check: manifest.json is at the root, within its size cap, readable (size and CRC checked as it is
 * read), UTF-8 (a BOM is tolerated with a warning) and JSON. What the manifest says is judged by
 * ../manifest.ts (checkManifest).
 */
import path from 'node:path';
import { bytes, q } from '../issues';
import { parseManifestText } from '../manifest-json';
import { openEntryData } from '../zip/entry-data';
import type { ZipEntry } from '../zip/format';
import { MANIFEST_ENTRY, entryReadIssue, rangeOf, type Classified, type Run } from './context';

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** MANIFEST_MISSING, with a hint when a manifest.json is elsewhere. */
export function checkManifestPresent(run: Run, entries: readonly ZipEntry[], c: Classified): boolean {
  if (c.manifest) return true;
  const elsewhere = entries.filter(
    (e) => !e.isDirectory && e.name !== '' && path.posix.basename(e.name).toLowerCase() === MANIFEST_ENTRY,
  );
  run.issues.error(
    'MANIFEST_MISSING',
    MANIFEST_ENTRY,
    `the bundle has no manifest.json at its root${elsewhere.length ? ` (found ${elsewhere.map((e) => q(e.label)).join(', ')}: it must be at the root, named exactly manifest.json)` : ''}`,
  );
  return false;
}

function decode(run: Run, data: Buffer): unknown {
  const { issues } = run;
  if (data.subarray(0, 3).equals(UTF8_BOM)) {
    issues.warning(
      'MANIFEST_BOM',
      MANIFEST_ENTRY,
      'manifest.json starts with a UTF-8 byte order mark; it is ignored (the stored manifest has none)',
    );
    data = data.subarray(3);
  }
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    issues.error('MANIFEST_NOT_UTF8', MANIFEST_ENTRY, 'manifest.json is not valid UTF-8 text');
    return undefined;
  }
  return parseManifestText(text, issues);
}

/** The parsed manifest, or undefined (reported). */
export async function readManifest(run: Run, entry: ZipEntry): Promise<unknown> {
  const { limits, issues } = run;
  if (entry.uncompressedSize > limits.maxManifestBytes) {
    issues.error(
      'MANIFEST_TOO_LARGE',
      MANIFEST_ENTRY,
      `manifest.json is ${bytes(entry.uncompressedSize)}, more than the limit of ${bytes(limits.maxManifestBytes)}`,
    );
    return undefined;
  }
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of openEntryData(run.file, rangeOf(entry))) chunks.push(chunk as Buffer);
  } catch (err) {
    entryReadIssue(err, entry, issues);
    return undefined;
  }
  return decode(run, Buffer.concat(chunks));
}
