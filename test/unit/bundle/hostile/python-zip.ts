/**
 * Python's `zipfile` as a second, independent zip reader and writer, run as a subprocess (python3 is
 * on every CI machine): `pythonListings` lists files (name bytes, sizes, CRC, a sha256 of the content,
 * whether testzip() passes, and the entries of each root-level .zip inside), `pythonZip` writes a zip
 * the way Python does (optionally force_zip64, or to an unseekable stream: data descriptors). The listing
 * also walks the local headers from the start of the file, as streaming readers do (Java's
 * ZipInputStream, unzipper.Parse): a third reading, blind to the central directory.
 */
import { spawn } from 'node:child_process';

export interface PyEntry {
  nameHex: string;
  name: string;
  size: number;
  csize: number;
  crc: number;
  dir: boolean;
  sha256?: string;
  /** the content of a root manifest.json */
  text?: string;
  error?: string;
  inner?: PyListing;
}

/** What a streaming reader sees, walking the local headers from the start of the file. */
export interface StreamedListing {
  entries: { nameHex: string; size: number; dir: boolean }[];
  /** where the walk stopped short: "unstreamable: ..." when no streaming reader could go on */
  error?: string;
}

export interface PyListing {
  /** set when Python cannot open the file as a zip */
  error?: string;
  /** the local-header walk (a third reading, independent of the central directory) */
  stream?: StreamedListing;
  /** null when every entry reads back with its CRC; else the first bad entry or the exception */
  testzip?: string | null;
  entries?: PyEntry[];
}

const SCRIPT = String.raw`
import base64, hashlib, io, json, struct, sys, zipfile, zlib

DD_SIG = b'PK\x07\x08'

def streamed(buf):
    # what a streaming reader (Java ZipInputStream, unzipper.Parse) sees: local headers walked in order
    pos, out = 0, []
    while pos + 30 <= len(buf) and buf[pos:pos + 4] == b'PK\x03\x04':
        _, flags, method, _, _, _, csize, usize, nlen, xlen = struct.unpack('<HHHHHIIIHH', buf[pos + 4:pos + 30])
        name = buf[pos + 30:pos + 30 + nlen]
        extra = buf[pos + 30 + nlen:pos + 30 + nlen + xlen]
        data = pos + 30 + nlen + xlen
        zip64 = False
        i = 0
        while i + 4 <= len(extra):
            eid, elen = struct.unpack('<HH', extra[i:i + 4])
            if eid == 1:
                zip64 = True
                vals = [struct.unpack('<Q', extra[i + 4 + 8 * k:i + 12 + 8 * k])[0] for k in range(elen // 8)]
                if usize == 0xFFFFFFFF and vals:
                    usize = vals.pop(0)
                if csize == 0xFFFFFFFF and vals:
                    csize = vals.pop(0)
            i += 4 + elen
        if flags & 8:
            if method == 8:
                d = zlib.decompressobj(-15)
                try:
                    usize = len(d.decompress(buf[data:]))
                except zlib.error as e:
                    return {'entries': out, 'error': 'deflate: %s' % e}
                if not d.eof:
                    return {'entries': out, 'error': 'deflate stream does not end'}
                end = len(buf) - len(d.unused_data)
            else:
                end = data
                while True:
                    end = buf.find(DD_SIG, end)
                    if end < 0:
                        return {'entries': out, 'error': 'unstreamable: a stored entry with a data descriptor'}
                    if struct.unpack('<I', buf[end + 8:end + 12])[0] == end - data:
                        break
                    end += 1
                usize = end - data
            if buf[end:end + 4] == DD_SIG:
                end += 4
            end += 20 if zip64 else 12
        else:
            end = data + csize
        out.append({'nameHex': name.hex(), 'size': usize, 'dir': name.endswith(b'/')})
        pos = end
    return {'entries': out}

def listing(src, depth):
    try:
        zf = zipfile.ZipFile(src)
    except Exception as e:
        return {'error': '%s: %s' % (type(e).__name__, e)}
    out = {'entries': []}
    if isinstance(src, str):
        with open(src, 'rb') as f:
            out['stream'] = streamed(f.read())
    else:
        out['stream'] = streamed(src.getvalue())
    try:
        out['testzip'] = zf.testzip()
    except Exception as e:
        out['testzip'] = '%s: %s' % (type(e).__name__, e)
    for info in zf.infolist():
        raw = info.orig_filename.encode('utf-8' if info.flag_bits & 0x800 else 'cp437')
        e = {'nameHex': raw.hex(), 'name': info.orig_filename, 'size': info.file_size,
             'csize': info.compress_size, 'crc': info.CRC, 'dir': info.is_dir()}
        if not info.is_dir():
            try:
                data = zf.read(info)
                e['sha256'] = hashlib.sha256(data).hexdigest()
                if depth == 0 and info.orig_filename == 'manifest.json' and len(data) <= 1048576:
                    e['text'] = data.decode('utf-8', 'replace')
                if depth == 0 and '/' not in info.orig_filename and info.orig_filename.endswith('.zip'):
                    e['inner'] = listing(io.BytesIO(data), 1)
            except Exception as ex:
                e['error'] = '%s: %s' % (type(ex).__name__, ex)
        out['entries'].append(e)
    return out

class Unseekable:
    def __init__(self, f):
        self.f = f
    def write(self, b):
        return self.f.write(b)
    def flush(self):
        self.f.flush()

def write(spec):
    with open(spec['file'], 'wb') as f:
        target = Unseekable(f) if spec.get('stream') else f
        with zipfile.ZipFile(target, 'w') as zf:
            if spec.get('comment'):
                zf.comment = spec['comment'].encode('utf-8')
            for e in spec['entries']:
                info = zipfile.ZipInfo(e['name'], date_time=(2024, 1, 1, 0, 0, 0))
                is_dir = e['name'].endswith('/')
                info.external_attr = ((0o40755 << 16) | 0x10) if is_dir else (0o100644 << 16)
                info.compress_type = zipfile.ZIP_STORED if (is_dir or e.get('store')) else zipfile.ZIP_DEFLATED
                data = base64.b64decode(e['data'])
                if is_dir:
                    zf.writestr(info, b'')
                else:
                    with zf.open(info, 'w', force_zip64=bool(spec.get('force_zip64'))) as w:
                        w.write(data)
    return {'ok': True}

req = json.load(sys.stdin)
if req['op'] == 'list':
    res = [listing(f, 0) for f in req['files']]
else:
    res = write(req)
json.dump(res, sys.stdout)
`;

function runPython<T>(request: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`python3 zipfile helper exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as T);
    });
    child.stdin.end(JSON.stringify(request));
  });
}

/** Python's reading of each file, in order. */
export const pythonListings = (files: string[]): Promise<PyListing[]> =>
  runPython<PyListing[]>({ op: 'list', files });

export interface PyZipSpec {
  entries: { name: string; data?: Buffer | string; store?: boolean }[];
  /** zip64 extra fields in every local header (zipfile's force_zip64) */
  forceZip64?: boolean;
  /** write to an unseekable stream: flag bit 3 and a data descriptor after every entry */
  stream?: boolean;
  comment?: string;
}

/** Writes `file` with Python's zipfile. */
export async function pythonZip(file: string, spec: PyZipSpec): Promise<void> {
  await runPython({
    op: 'write',
    file,
    stream: spec.stream ?? false,
    force_zip64: spec.forceZip64 ?? false,
    comment: spec.comment ?? '',
    entries: spec.entries.map((e) => ({
      name: e.name,
      store: e.store ?? false,
      data: Buffer.from(e.data ?? '').toString('base64'),
    })),
  });
}
