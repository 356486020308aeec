/**
 * Reading a small S3 object (a marker, a record, a manifest, the lock) as text with a byte cap that
 * holds whatever the answer says: a Content-Length over the cap is not read, and neither is a body that
 * grows past it while streaming (a missing or wrong length cannot make a reader hold more). Objects the
 * deployer reads back are written by itself, but a second writer to the bucket must not be able to make
 * a run hold an arbitrary amount of memory.
 */

type Body = Partial<AsyncIterable<Uint8Array>> & {
  destroy?: () => void;
  transformToString?: (encoding?: string) => Promise<string>;
};

/** The body as UTF-8 text; undefined (the stream destroyed) when it is larger than `maxBytes`. */
export async function readBodyText(
  res: { Body?: unknown; ContentLength?: number },
  maxBytes: number,
): Promise<string | undefined> {
  const body = res.Body as Body | undefined;
  if (body === undefined || body === null) return '';
  if (res.ContentLength !== undefined && res.ContentLength > maxBytes) {
    body.destroy?.();
    return undefined;
  }
  if (typeof body[Symbol.asyncIterator] !== 'function') {
    // not a stream (a test double that holds its text already): the cap on what it gave
    const text = (await body.transformToString?.('utf8')) ?? '';
    return Buffer.byteLength(text) > maxBytes ? undefined : text;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      body.destroy?.();
      return undefined;
    }
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks, size).toString('utf8');
}
