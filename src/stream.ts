import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

/** A pass-through stream computing the sha256 and the size of what flows through it. */
export function hashingStream(): { stream: Transform; digest: () => { sha256Hex: string; size: number } } {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  let digest: { sha256Hex: string; size: number } | undefined;
  return {
    stream,
    digest: () => (digest ??= { sha256Hex: hash.digest('hex'), size }),
  };
}
