/**
 * readBodyText: the byte cap holds whatever Content-Length says — a body without a length, or one
 * longer than its length, is cut at the cap and its stream destroyed; text split inside a UTF-8
 * character across chunks is decoded whole.
 */
import { Readable } from 'node:stream';
import { readBodyText } from '../../../src/aws/body';

function stream(chunks: Buffer[]): Readable & { pulled: number } {
  let i = 0;
  const r = new Readable({
    read() {
      if (i < chunks.length) {
        (r as Readable & { pulled: number }).pulled += 1;
        this.push(chunks[i++]);
      } else this.push(null);
    },
  }) as Readable & { pulled: number };
  r.pulled = 0;
  return r;
}

describe('readBodyText', () => {
  it('reads a body within the cap, with or without a length', async () => {
    expect(
      await readBodyText({ Body: stream([Buffer.from('{"a":'), Buffer.from('1}')]), ContentLength: 7 }, 7),
    ).toBe('{"a":1}');
    expect(await readBodyText({ Body: stream([Buffer.from('abc')]) }, 3)).toBe('abc');
    expect(await readBodyText({}, 3)).toBe('');
  });

  it('does not read a body whose declared length is over the cap', async () => {
    const body = stream([Buffer.alloc(10)]);
    expect(await readBodyText({ Body: body, ContentLength: 10 }, 9)).toBeUndefined();
    expect(body.pulled).toBe(0);
    expect(body.destroyed).toBe(true);
  });

  it('stops a body that grows past the cap, whatever its length said (missing or wrong)', async () => {
    const many = () => Array.from({ length: 100 }, () => Buffer.alloc(1024, 0x61));
    const noLength = stream(many());
    expect(await readBodyText({ Body: noLength }, 4096)).toBeUndefined();
    expect(noLength.destroyed).toBe(true);
    expect(noLength.pulled).toBeLessThan(100);
    const lying = stream(many());
    expect(await readBodyText({ Body: lying, ContentLength: 10 }, 4096)).toBeUndefined();
    expect(lying.pulled).toBeLessThan(100);
  });

  it('decodes a UTF-8 character split across chunks', async () => {
    const bytes = Buffer.from('é€😀', 'utf8');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect(await readBodyText({ Body: stream(chunks) }, bytes.length)).toBe('é€😀');
  });

  it('caps what a non-stream body (a test double) gives', async () => {
    const double = (text: string) => ({ transformToString: async () => text });
    expect(await readBodyText({ Body: double('small') }, 5)).toBe('small');
    expect(await readBodyText({ Body: double('too large') }, 5)).toBeUndefined();
  });
});
