/**
 * The provisioner reads again exactly the bytes validation judged: a bundle file changed after
 * validation fails the re-read (size, CRC-32 or sha256) before the upload completes, so no object is
 * written. Real temp files; S3 stubbed with aws-sdk-client-mock behind the real port factory.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createAwsPorts } from '../../../src/aws/clients';
import { validateBundle, type Bundle } from '../../../src/bundle';
import { openValidatedEntry } from '../../../src/bundle/reader';
import { loadConfig } from '../../../src/config';
import { silentLogger } from '../../../src/log';
import { DEFAULT_TUNING } from '../../../src/provision/constants';
import type { StepContext } from '../../../src/provision/context';
import { stageCode } from '../../../src/provision/code';
import { realClock } from '../../../src/provision/retry';
import { functionZip, tempDir, writeBundle } from '../../support/bundle-builder';

const s3 = mockClient(S3Client);
const config = loadConfig({ AWS_REGION: 'us-east-1', MM_APPS_S3_BUCKET: 'apps-unit' }, {}, {});
config.aws = { ...config.aws, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 };

async function drain(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function context(bundle: Bundle): StepContext {
  return {
    ports: createAwsPorts(config.aws),
    config,
    logger: silentLogger(),
    tuning: DEFAULT_TUNING,
    bundle: bundle.file,
    emit: () => undefined,
    retry: (_step, _resource, op) => op(),
    clock: realClock,
    openEntry: (range) => openValidatedEntry(bundle.file, range),
  };
}

/** Overwrites one byte of the file at `offset` (same length: the directory still agrees). */
async function flipByte(file: string, offset: number): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, offset);
    b[0] = (b[0] as number) ^ 0xff;
    await fh.write(b, 0, 1, offset);
  } finally {
    await fh.close();
  }
}

describe('bytes changed after validation', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let bundle: Bundle;
  beforeEach(async () => {
    s3.reset();
    ({ dir, cleanup } = await tempDir('changed-bundle-'));
    const file = await writeBundle(path.join(dir, 'b.zip'), {
      manifest: {
        app_id: 'com.example.changed',
        version: '1.0.0',
        display_name: 'Changed',
        homepage_url: 'https://example.com',
        aws_lambda: [{ path: '/', name: 'fn', handler: 'index.handler', runtime: 'nodejs22.x' }],
      },
      functions: { 'fn.zip': await functionZip() },
    });
    const result = await validateBundle(file);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    bundle = result.bundle;
  });
  afterEach(() => cleanup());

  it('re-reads the judged range unchanged', async () => {
    const fn = bundle.functions[0];
    if (!fn) throw new Error('no function');
    const bytes = await drain(openValidatedEntry(bundle.file, fn));
    expect(bytes.length).toBe(fn.size);
  });

  it('fails the stream, and the upload, when a byte of a function zip changed', async () => {
    const fn = bundle.functions[0];
    if (!fn) throw new Error('no function');
    s3.onAnyCommand().rejects(
      Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }),
    );
    s3.on(PutObjectCommand).resolves({ ETag: '"x"' });
    await flipByte(bundle.file, fn.dataOffset + Math.floor(fn.compressedSize / 2));
    await expect(stageCode(context(bundle), fn)).rejects.toMatchObject({
      code: expect.stringMatching(/^BUNDLE_ENTRY_/) as unknown,
    });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('fails the stream when the bytes are not those whose sha256 validation computed', async () => {
    const fn = bundle.functions[0];
    if (!fn) throw new Error('no function');
    const forged = { ...fn, sha256Hex: '0'.repeat(64) };
    await expect(drain(openValidatedEntry(bundle.file, forged))).rejects.toMatchObject({
      code: 'BUNDLE_ENTRY_CHANGED',
      message: expect.stringContaining('changed after validation') as unknown,
    });
  });
});
