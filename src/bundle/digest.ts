/** Draining a stream while hashing it: sha256 (hex and base64) and size. */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

class Digest extends Transform {
  readonly hash = createHash('sha256');
  size = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }
}

export interface StreamDigest {
  hex: string;
  base64: string;
  size: number;
}

/** Drains `source` (into `sink` when given), hashing it. */
export async function digestStream(
  source: NodeJS.ReadableStream,
  sink?: NodeJS.WritableStream,
): Promise<StreamDigest> {
  const d = new Digest();
  if (sink) await pipeline(source, d, sink);
  else {
    d.resume();
    await pipeline(source, d);
  }
  const digest = d.hash.digest();
  return { hex: digest.toString('hex'), base64: digest.toString('base64'), size: d.size };
}
