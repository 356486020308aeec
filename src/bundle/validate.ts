/**
 * `validateBundle`: reads a bundle from disk without touching AWS and returns either the Bundle the
 * provisioner needs or every problem found. Streaming and bounded: the central directory is read first
 * and every name and limit checked before any entry data is read; then each entry is streamed once
 * (function zips to a temp file while hashed, so that their own central directory can be checked;
 * assets hashed on the fly); the bundle itself is hashed in a separate sequential read. One stream at a
 * time: memory stays flat whatever the bundle's size. Contract: DESIGN.md "App bundle".
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import mime from 'mime-types';
import { BundleReadError } from './errors';
import { BUNDLE_PATH, IssueList, bytes, q } from './issues';
import { COMPRESSION_RATIO_MIN_BYTES, MAX_S3_KEY_BYTES, resolveLimits } from './limits';
import { checkManifest, manifestFunctions, type ManifestFunction } from './manifest';
import { parseManifestText } from './manifest-json';
import { storeManifest } from './stored-manifest';
import { isSafeRelativePath, manifestKey as manifestKeyOf, staticAssetKey } from './names';
import type { Bundle, BundleAsset, BundleFunction, BundleLimits, Issue, ValidationResult } from './types';
import {
  METHOD_DEFLATED,
  METHOD_STORED,
  S_IFDIR,
  S_IFLNK,
  READ_CHUNK_BYTES,
  S_IFREG,
  ZipEntryError,
  ZipFormatError,
  isEncrypted,
  openZipEntryStream,
  overlappingEntries,
  readZipDirectory,
  type ZipDirectory,
  type ZipEntry,
} from './zip';

export interface ValidateOptions {
  /** overrides of DEFAULT_LIMITS */
  limits?: Partial<BundleLimits>;
  /** where function zips are staged while checked (default: the OS temp dir); always cleaned */
  tmpDir?: string;
  /** the date runtimes are judged at (default: now) */
  now?: Date;
}

const MANIFEST_ENTRY = 'manifest.json';
const STATIC_DIR = 'static/';
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** What every step of one validation needs. */
interface Run {
  file: string;
  /** where entry data must end: the central directory's offset */
  dataLimit: number;
  limits: BundleLimits;
  issues: IssueList;
}

/** An entry of the bundle with what the name checks found. */
interface Entry {
  zip: ZipEntry;
  /** the name for messages and issue paths */
  label: string;
  /** its data may be read (name, type, encryption, method and ratio are all fine) */
  readable: boolean;
}

/** Counts bytes and computes sha256 as they pass. */
class Digest extends Transform {
  readonly hash = createHash('sha256');
  size = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }
}

/** Drains a stream, hashing it: sha256 hex + base64, and its size. */
async function digestStream(
  source: NodeJS.ReadableStream,
  sink?: NodeJS.WritableStream,
): Promise<{ hex: string; base64: string; size: number }> {
  const d = new Digest();
  if (sink) await pipeline(source, d, sink);
  else {
    d.resume();
    await pipeline(source, d);
  }
  const digest = d.hash.digest();
  return { hex: digest.toString('hex'), base64: digest.toString('base64'), size: d.size };
}

function escapeName(bytes: Buffer): string {
  return [...bytes]
    .map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`))
    .join('');
}

function ioError(file: string, err: unknown): BundleReadError {
  const e = err as NodeJS.ErrnoException;
  const what =
    e.code === 'ENOENT'
      ? 'no such file'
      : e.code === 'EACCES' || e.code === 'EPERM'
        ? 'permission denied'
        : e.code === 'EISDIR'
          ? 'it is a directory, not a zip file'
          : (e.message ?? String(err));
  return new BundleReadError(file, what, err);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Name, type and safety checks of every entry; unsafe entries are marked unreadable. */
function checkEntries(dir: ZipDirectory, limits: BundleLimits, issues: IssueList): Entry[] {
  const entries: Entry[] = dir.entries.map((zip) => ({
    zip,
    label: zip.validUtf8 ? zip.name : escapeName(zip.nameBytes),
    readable: true,
  }));
  const seen = new Map<string, Entry>();
  for (const e of entries) {
    const { zip, label } = e;
    const bad = (code: Parameters<IssueList['error']>[0], message: string): void => {
      issues.error(code, label, message);
      e.readable = false;
    };
    if (!zip.validUtf8) bad('BAD_ENTRY_NAME', `entry name ${q(label)} is not valid UTF-8`);
    const name = zip.name;
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(name))
      bad('BAD_ENTRY_NAME', `entry name ${q(label)} contains a control character`);
    if (name.includes('\\')) {
      bad('UNSAFE_ENTRY_PATH', `entry ${q(label)} has a backslash in its name; zip entry paths use "/" only`);
    } else if (name.startsWith('/')) {
      bad(
        'UNSAFE_ENTRY_PATH',
        `entry ${q(label)} has an absolute path; entries must be relative to the bundle root`,
      );
    } else if (/^[A-Za-z]:/.test(name)) {
      bad(
        'UNSAFE_ENTRY_PATH',
        `entry ${q(label)} starts with a drive letter; entries must be relative to the bundle root`,
      );
    } else {
      const segments = (zip.isDirectory ? name.slice(0, -1) : name).split('/');
      if (segments.includes('..')) {
        bad(
          'UNSAFE_ENTRY_PATH',
          `entry ${q(label)} has a ".." path segment (zip-slip: it would escape the bundle)`,
        );
      } else if (segments.some((s) => s === '' || s === '.')) {
        bad('UNSAFE_ENTRY_PATH', `entry ${q(label)} has an empty or "." path segment`);
      }
    }
    const first = seen.get(name);
    if (first) {
      bad(
        'DUPLICATE_ENTRY',
        `entry ${q(label)} appears more than once in the zip; which copy counts is ambiguous`,
      );
      first.readable = false;
    } else seen.set(name, e);
    if (zip.unixFileType === S_IFLNK) {
      bad('SYMLINK_ENTRY', `entry ${q(label)} is a symbolic link; bundles may hold regular files only`);
    } else if (zip.unixFileType !== 0 && zip.unixFileType !== S_IFREG && zip.unixFileType !== S_IFDIR) {
      bad(
        'SPECIAL_FILE_ENTRY',
        `entry ${q(label)} is a special file (mode ${zip.unixFileType.toString(8)}); bundles may hold regular files only`,
      );
    }
    if (isEncrypted(zip))
      bad('ENCRYPTED_ENTRY', `entry ${q(label)} is encrypted; bundles must not be encrypted`);
    if (zip.method !== METHOD_STORED && zip.method !== METHOD_DEFLATED) {
      bad(
        'UNSUPPORTED_COMPRESSION',
        `entry ${q(label)} uses compression method ${zip.method}; only stored (0) and deflate (8) are supported`,
      );
    }
    if (
      zip.uncompressedSize >= COMPRESSION_RATIO_MIN_BYTES &&
      zip.uncompressedSize > zip.compressedSize * limits.maxCompressionRatio
    ) {
      const ratio =
        zip.compressedSize === 0
          ? 'an infinite'
          : `a ${Math.round(zip.uncompressedSize / zip.compressedSize)}:1`;
      bad(
        'COMPRESSION_RATIO_TOO_HIGH',
        `entry ${q(label)} has ${ratio} compression ratio (${bytes(zip.compressedSize)} inflating to ${bytes(zip.uncompressedSize)}), above the limit of ${limits.maxCompressionRatio}:1 (zip bomb?)`,
      );
    }
  }
  return entries;
}

interface Classified {
  manifest?: Entry;
  /** entries at the root named *.zip (case-insensitive extension) */
  rootZips: Entry[];
  /** *.zip entries elsewhere (outside static/), for hints */
  nestedZips: Entry[];
  assets: Entry[];
  others: Entry[];
}

function classify(entries: Entry[]): Classified {
  const c: Classified = { rootZips: [], nestedZips: [], assets: [], others: [] };
  for (const e of entries) {
    const name = e.zip.name;
    if (e.zip.isDirectory) continue;
    if (name === MANIFEST_ENTRY) c.manifest ??= e;
    else if (name.startsWith(STATIC_DIR)) c.assets.push(e);
    else if (/\.zip$/i.test(name)) (name.includes('/') ? c.nestedZips : c.rootZips).push(e);
    else c.others.push(e);
  }
  return c;
}

async function readManifest(run: Run, entry: Entry): Promise<unknown> {
  const { file, dataLimit, limits, issues } = run;
  const { zip } = entry;
  if (zip.uncompressedSize > limits.maxManifestBytes) {
    issues.error(
      'MANIFEST_TOO_LARGE',
      MANIFEST_ENTRY,
      `manifest.json is ${bytes(zip.uncompressedSize)}, more than the limit of ${bytes(limits.maxManifestBytes)}`,
    );
    return undefined;
  }
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of openZipEntryStream(file, zip, dataLimit)) chunks.push(chunk as Buffer);
  } catch (err) {
    entryReadIssue(err, entry, issues);
    return undefined;
  }
  let data = Buffer.concat(chunks);
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

function entryReadIssue(err: unknown, entry: Entry, issues: IssueList): void {
  if (err instanceof ZipEntryError) {
    const code =
      err.problem === 'size'
        ? 'ENTRY_SIZE_MISMATCH'
        : err.problem === 'crc'
          ? 'ENTRY_CRC_MISMATCH'
          : 'ENTRY_UNREADABLE';
    issues.error(code, entry.label, err.message);
    return;
  }
  throw err;
}

/** Files a Lambda runtime needs in the function zip for the handler to load (best effort; warning only). */
export function handlerFileCandidates(runtime: string, handler: string): string[] | undefined {
  if (runtime.startsWith('provided')) return ['bootstrap'];
  const cut = handler.lastIndexOf('.');
  if (cut <= 0) return undefined;
  const module = handler.slice(0, cut);
  if (runtime.startsWith('nodejs')) return ['.js', '.mjs', '.cjs'].map((ext) => `${module}${ext}`);
  if (runtime.startsWith('python')) return [`${module.replaceAll('.', '/')}.py`];
  if (runtime.startsWith('ruby')) return [`${module}.rb`];
  return undefined;
}

interface Staged {
  sha256Hex: string;
  codeSha256: string;
  size: number;
  unzippedSize: number;
}

/** Streams a function zip to a temp file while hashing it, then checks it as a zip of its own. */
async function checkFunctionZip(
  run: Run,
  entry: Entry,
  fn: ManifestFunction,
  staged: string,
): Promise<Staged | undefined> {
  const { file, dataLimit, limits, issues } = run;
  const { zip, label } = entry;
  if (zip.uncompressedSize >= limits.maxFunctionZipBytes) {
    issues.error(
      'FUNCTION_ZIP_TOO_LARGE',
      label,
      `function zip ${q(label)} is ${bytes(zip.uncompressedSize)}; Lambda takes function zips smaller than ${bytes(limits.maxFunctionZipBytes)}`,
    );
    return undefined;
  }
  try {
    let digest: { hex: string; base64: string; size: number };
    try {
      digest = await digestStream(openZipEntryStream(file, zip, dataLimit), createWriteStream(staged));
    } catch (err) {
      entryReadIssue(err, entry, issues);
      return undefined;
    }
    let inner: ZipDirectory;
    try {
      inner = await readZipDirectory(staged, { maxEntries: limits.maxFunctionEntries });
    } catch (err) {
      if (!(err instanceof ZipFormatError)) throw err;
      if (err.problem === 'too-many-entries') {
        issues.error(
          'FUNCTION_ZIP_TOO_MANY_ENTRIES',
          label,
          `function zip ${q(label)} has ${err.details.entryCount?.toLocaleString('en-US')} entries, more than the limit of ${limits.maxFunctionEntries.toLocaleString('en-US')}`,
        );
      } else {
        issues.error(
          'FUNCTION_ZIP_INVALID',
          label,
          `function zip ${q(label)} is not a valid zip: ${err.message}`,
        );
      }
      return undefined;
    }
    const unzipped = inner.entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
    let ok = true;
    if (unzipped >= limits.maxFunctionUnzippedBytes) {
      issues.error(
        'FUNCTION_UNZIPPED_TOO_LARGE',
        label,
        `function zip ${q(label)} unzips to ${bytes(unzipped)}; Lambda takes less than ${bytes(limits.maxFunctionUnzippedBytes)} unzipped`,
      );
      ok = false;
    }
    const encrypted = inner.entries.filter(isEncrypted);
    if (encrypted.length > 0) {
      issues.error(
        'FUNCTION_ZIP_ENCRYPTED',
        label,
        `function zip ${q(label)} has encrypted entries (${encrypted
          .slice(0, 3)
          .map((e) => q(e.name))
          .join(', ')}${encrypted.length > 3 ? ', ...' : ''}); Lambda cannot unpack them`,
      );
      ok = false;
    }
    const wanted = handlerFileCandidates(fn.runtime, fn.handler);
    if (wanted && !inner.entries.some((e) => wanted.includes(e.name))) {
      issues.warning(
        'HANDLER_FILE_NOT_FOUND',
        label,
        `function zip ${q(label)} has no ${wanted.map(q).join(' or ')} at its root, which runtime ${fn.runtime} with handler ${q(fn.handler)} loads`,
      );
    }
    if (!ok) return undefined;
    return { sha256Hex: digest.hex, codeSha256: digest.base64, size: digest.size, unzippedSize: unzipped };
  } finally {
    await rm(staged, { force: true });
  }
}

/** Content-Type from the file name's extension; a name without one ("static/json") is octet-stream,
 * not the type of an extension that happens to equal the name. */
export function contentTypeOf(relPath: string): string {
  const ext = path.posix.extname(relPath);
  return (ext !== '' && mime.contentType(ext)) || 'application/octet-stream';
}

/** Which root zip belongs to which manifest function. */
function matchFunctions(
  functions: ManifestFunction[],
  declaredNames: Set<string>,
  c: Classified,
  issues: IssueList,
): Map<ManifestFunction, Entry> {
  const matched = new Map<ManifestFunction, Entry>();
  const base = (e: Entry): string => e.zip.name.slice(0, -'.zip'.length);
  for (const fn of functions) {
    // matching is exact ("<name>.zip"); names equal but for case ("fn.ZIP", "FN.zip") never match, and
    // beside an exact match they are ambiguous (one file on a case-insensitive file system)
    const exact = c.rootZips.filter((e) => e.zip.name === `${fn.name}.zip`);
    const alike = c.rootZips.filter(
      (e) => e.zip.name !== `${fn.name}.zip` && base(e).toLowerCase() === fn.name.toLowerCase(),
    );
    const candidates = exact.length > 0 ? [...exact, ...alike] : [];
    if (candidates.length === 0) {
      const nested = c.nestedZips
        .filter((e) => path.posix.basename(base(e)) === fn.name)
        .map((e) => q(e.label));
      const cased = alike.map((e) => q(e.label));
      issues.error(
        'FUNCTION_ZIP_MISSING',
        `${fn.jsonPath}.name`,
        `function ${q(fn.name)} has no ${q(`${fn.name}.zip`)} at the bundle root` +
          (nested.length ? ` (found ${nested.join(', ')}: function zips must be at the root)` : '') +
          (cased.length ? ` (found ${cased.join(', ')}: names are case-sensitive)` : ''),
      );
    } else if (candidates.length > 1) {
      issues.error(
        'FUNCTION_ZIP_AMBIGUOUS',
        `${fn.jsonPath}.name`,
        `function ${q(fn.name)} matches several entries (${candidates.map((e) => q(e.label)).join(', ')}); keep exactly one ${q(`${fn.name}.zip`)}`,
      );
    } else matched.set(fn, candidates[0] as Entry);
  }
  for (const e of c.rootZips) {
    if (!declaredNames.has(base(e))) {
      issues.warning(
        'IGNORED_ENTRY',
        e.label,
        `entry ${q(e.label)} is ignored: no function of the manifest is named ${q(base(e))}`,
      );
    }
  }
  return matched;
}

/**
 * Validates the bundle at `file`. Never throws for bad content: returns ok:false with every issue.
 * Throws a BundleReadError only when the file cannot be read (missing, unreadable, a directory).
 */
export async function validateBundle(file: string, options: ValidateOptions = {}): Promise<ValidationResult> {
  const limits = resolveLimits(options.limits);
  const now = options.now ?? new Date();
  const issues = new IssueList();
  const invalid = (extra: { appId?: string; version?: string } = {}): ValidationResult => ({
    ok: false,
    errors: issues.errors,
    warnings: issues.warnings,
    ...extra,
  });

  let size: number;
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = st.size;
  } catch (err) {
    throw ioError(file, err);
  }
  if (size > limits.maxBundleBytes) {
    issues.error(
      'BUNDLE_TOO_LARGE',
      BUNDLE_PATH,
      `the bundle is ${bytes(size)}, more than the limit of ${bytes(limits.maxBundleBytes)}`,
    );
    return invalid();
  }

  let dir: ZipDirectory;
  try {
    dir = await readZipDirectory(file, { maxEntries: limits.maxEntries });
  } catch (err) {
    if (!(err instanceof ZipFormatError)) throw ioError(file, err);
    const code = (
      {
        empty: 'NOT_A_ZIP',
        'not-zip': 'NOT_A_ZIP',
        truncated: 'TRUNCATED_ZIP',
        corrupt: 'CORRUPT_ZIP',
        'multi-disk': 'MULTI_DISK_ZIP',
        'too-many-entries': 'TOO_MANY_ENTRIES',
      } as const
    )[err.problem];
    issues.error(code, BUNDLE_PATH, `the bundle is not a readable zip: ${err.message}`);
    return invalid();
  }

  // 1. names, types, limits: nothing read but the central directory
  const entries = checkEntries(dir, limits, issues);
  const totalUnzipped = dir.entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
  let contentSafe = true;
  if (totalUnzipped > limits.maxTotalUnzippedBytes) {
    issues.error(
      'TOTAL_UNZIPPED_TOO_LARGE',
      BUNDLE_PATH,
      `the bundle's entries declare ${bytes(totalUnzipped)} uncompressed, more than the limit of ${bytes(limits.maxTotalUnzippedBytes)} (zip bomb?)`,
    );
    contentSafe = false;
  }
  const overlapping = new Set(overlappingEntries(dir));
  for (const e of entries) {
    if (!overlapping.has(e.zip)) continue;
    issues.error(
      'OVERLAPPING_ENTRIES',
      e.label,
      `entry ${q(e.label)} overlaps another entry's data (overlapping-file zip bomb, or a corrupt zip)`,
    );
    e.readable = false;
    contentSafe = false;
  }
  const c = classify(entries);
  const dataLimit = dir.centralDirectoryOffset;
  const run: Run = { file, dataLimit, limits, issues };

  // 2. manifest
  let manifest: unknown;
  if (!c.manifest) {
    const elsewhere = entries.filter(
      (e) => !e.zip.isDirectory && path.posix.basename(e.zip.name).toLowerCase() === MANIFEST_ENTRY,
    );
    issues.error(
      'MANIFEST_MISSING',
      MANIFEST_ENTRY,
      `the bundle has no manifest.json at its root${elsewhere.length ? ` (found ${elsewhere.map((e) => q(e.label)).join(', ')}: it must be at the root, named exactly manifest.json)` : ''}`,
    );
  } else if (c.manifest.readable && contentSafe) {
    manifest = await readManifest(run, c.manifest);
  }
  const checked = manifest === undefined ? undefined : checkManifest(manifest, now);
  if (checked) issues.items.push(...checked.issues);
  const stored = checked && isRecord(manifest) ? storeManifest(manifest, issues) : undefined;
  const appId = checked?.appId;
  const version = checked?.version;

  // 3. function zips ↔ manifest functions; ignored entries
  let matched = new Map<ManifestFunction, Entry>();
  if (checked && typeof manifest === 'object' && manifest !== null) {
    const declared = new Set(
      manifestFunctions(manifest as Record<string, unknown>)
        .list.map((f) => (typeof f === 'object' && f !== null ? (f as { name?: unknown }).name : undefined))
        .filter((n): n is string => typeof n === 'string'),
    );
    matched = matchFunctions(checked.functions, declared, c, issues);
  }
  for (const e of [...c.others, ...c.nestedZips]) {
    if (e.readable)
      issues.warning(
        'IGNORED_ENTRY',
        e.label,
        `entry ${q(e.label)} is ignored: a bundle holds manifest.json, <function>.zip files at its root and a static/ tree`,
      );
  }

  // 4. static assets: keys, collisions, icon
  const assetKeys = new Map<string, Entry>();
  const assetPlans: { entry: Entry; relPath: string; key: string }[] = [];
  for (const e of c.assets) {
    const relPath = e.zip.name.slice(STATIC_DIR.length);
    if (!e.readable || !appId || !version || !isSafeRelativePath(relPath)) continue;
    const key = staticAssetKey(appId, version, relPath);
    const clash = assetKeys.get(key);
    if (clash) {
      issues.error(
        'STATIC_KEY_COLLISION',
        e.label,
        `static files ${q(clash.label)} and ${q(e.label)} map to the same S3 key ${q(key)} (spaces become "-"); rename one`,
      );
      continue;
    }
    assetKeys.set(key, e);
    if (Buffer.byteLength(key) > MAX_S3_KEY_BYTES) {
      issues.error(
        'STATIC_KEY_TOO_LONG',
        e.label,
        `static file ${q(e.label)} gets the S3 key ${q(key.slice(0, 60))}..., longer than S3's ${MAX_S3_KEY_BYTES} bytes`,
      );
      continue;
    }
    assetPlans.push({ entry: e, relPath, key });
  }
  if (checked?.icon !== undefined && !c.assets.some((e) => e.zip.name === `${STATIC_DIR}${checked.icon}`)) {
    issues.error(
      'ICON_NOT_FOUND',
      '$.icon',
      `icon ${q(checked.icon)} is not in the bundle: expected the entry ${q(`${STATIC_DIR}${checked.icon}`)}`,
    );
  }

  // 5. content: stream what can be read safely, one entry at a time
  const functions: BundleFunction[] = [];
  const assets: BundleAsset[] = [];
  let sha256Hex = '';
  if (contentSafe) {
    const tmp = await mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'apps-deployer-validate-'));
    try {
      let index = 0;
      for (const fn of checked?.functions ?? []) {
        const entry = matched.get(fn);
        if (!entry || !entry.readable) continue;
        const staged = await checkFunctionZip(run, entry, fn, path.join(tmp, `function-${index++}.zip`));
        if (!staged) continue;
        functions.push({
          name: fn.name,
          path: fn.path,
          handler: fn.handler,
          runtime: fn.runtime,
          lambdaName: fn.lambdaName,
          longName: fn.longName,
          entry: entry.zip.name,
          ...staged,
        });
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    for (const { entry, relPath, key } of assetPlans) {
      if (!entry.readable) continue;
      try {
        const digest = await digestStream(openZipEntryStream(file, entry.zip, dataLimit));
        assets.push({
          entry: entry.zip.name,
          relPath,
          key,
          size: digest.size,
          sha256Hex: digest.hex,
          contentType: contentTypeOf(relPath),
        });
      } catch (err) {
        entryReadIssue(err, entry, issues);
      }
    }
    if (!issues.hasErrors()) {
      try {
        sha256Hex = (await digestStream(createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }))).hex;
      } catch (err) {
        throw ioError(file, err);
      }
    }
  }

  if (issues.hasErrors() || !checked || !stored || !appId || !version) return invalid({ appId, version });
  const manifestObject = manifest as Record<string, unknown>;
  const bundle: Bundle = {
    file,
    size,
    sha256Hex,
    appId,
    version,
    manifest: manifestObject,
    storedManifest: stored.value,
    storedManifestJson: stored.json,
    manifestKey: manifestKeyOf(appId, version),
    functions,
    assets,
    warnings: issues.warnings,
  };
  return { ok: true, bundle, warnings: bundle.warnings };
}

/** Every issue of a result, errors first. */
export function resultIssues(result: ValidationResult): Issue[] {
  return result.ok ? result.warnings : [...result.errors, ...result.warnings];
}
