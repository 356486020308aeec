/**
 * `upload` against the emulator: validate, conditional create under the canonical release key, and
 * the answers when the key already exists (same bytes / other bytes / uploaded by another tool).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { S3Port } from '../../../src/aws/ports';
import { uploadBundle, UPLOAD_METADATA } from '../../../src/upload';
import { simpleAppSpec, tempDir, writeBundle } from '../../support/bundle-builder';
import { backendName, testClients, testPorts, uniqueBucket } from '../../support/emulator';

const PREFIX = 'releases/';

jest.setTimeout(60_000);

describe('uploadBundle', () => {
  let s3: S3Client;
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    s3 = testClients().s3;
    ({ dir, cleanup } = await tempDir('upload-test-'));
  });
  afterAll(async () => {
    s3.destroy();
    await cleanup();
  });

  async function bundle(name: string, appId: string, version: string, body = ''): Promise<string> {
    return writeBundle(path.join(dir, name), await simpleAppSpec(appId, version, { body }));
  }

  async function keys(bucket: string): Promise<string[]> {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (res.Contents ?? []).map((o) => o.Key ?? '');
  }

  it('puts a valid bundle under its canonical key with its sha256, then recognizes the same bytes', async () => {
    // Prepare
    const bucket = await uniqueBucket('upload');
    const file = await bundle('hello.zip', 'com.example.hello', '1.0.0');
    const ports = testPorts();
    // Act
    const first = await uploadBundle(
      file,
      { releaseBucket: bucket, releasePrefix: PREFIX },
      { s3: ports.s3 },
    );
    const head1 = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: `${PREFIX}com.example.hello_1.0.0.zip` }),
    );
    const second = await uploadBundle(
      file,
      { releaseBucket: bucket, releasePrefix: PREFIX },
      { s3: ports.s3 },
    );
    const head2 = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: `${PREFIX}com.example.hello_1.0.0.zip` }),
    );
    // Assess
    expect(first).toMatchObject({
      status: 'uploaded',
      appId: 'com.example.hello',
      version: '1.0.0',
      key: `${PREFIX}com.example.hello_1.0.0.zip`,
    });
    if (first.status !== 'uploaded') throw new Error('not uploaded');
    const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: first.key }));
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(await readFile(file))).toBe(true);
    expect(head1.Metadata?.[UPLOAD_METADATA.sha256]).toBe(first.sha256);
    expect(head1.ContentType).toBe('application/zip');
    expect(second).toMatchObject({ status: 'already-uploaded', sha256: first.sha256 });
    expect(head2.ETag).toBe(head1.ETag);
    expect(head2.LastModified?.getTime()).toBe(head1.LastModified?.getTime());
    expect(await keys(bucket)).toEqual([`${PREFIX}com.example.hello_1.0.0.zip`]);
  });

  it('refuses other bytes under a version that is already uploaded, and leaves the object alone', async () => {
    // Prepare
    const bucket = await uniqueBucket('upload-conflict');
    const original = await bundle('v1.zip', 'com.example.clash', '1.0.0', 'first build');
    const rebuilt = await bundle('v1-rebuilt.zip', 'com.example.clash', '1.0.0', 'second build');
    const ports = testPorts();
    const target = { releaseBucket: bucket, releasePrefix: PREFIX };
    await uploadBundle(original, target, { s3: ports.s3 });
    const before = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: `${PREFIX}com.example.clash_1.0.0.zip` }),
    );
    // Act
    const result = await uploadBundle(rebuilt, target, { s3: ports.s3 });
    // Assess
    expect(result.status).toBe('conflict');
    if (result.status !== 'conflict') throw new Error('no conflict');
    expect(result.message).toContain('Release versions are immutable: bump the version');
    expect(result.existingSha256).toBe(before.Metadata?.[UPLOAD_METADATA.sha256]);
    const after = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: `${PREFIX}com.example.clash_1.0.0.zip` }),
    );
    expect(after.ETag).toBe(before.ETag);
  });

  it('compares the bytes of an object uploaded by another tool (no sha256 metadata)', async () => {
    // Prepare
    const bucket = await uniqueBucket('upload-foreign');
    const file = await bundle('same.zip', 'com.example.copied', '2.0.0');
    const other = await bundle('other.zip', 'com.example.copied', '2.0.0', 'different');
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${PREFIX}com.example.copied_2.0.0.zip`,
        Body: await readFile(file),
      }),
    );
    const target = { releaseBucket: bucket, releasePrefix: PREFIX };
    // Act
    const same = await uploadBundle(file, target, { s3: testPorts().s3 });
    const different = await uploadBundle(other, target, { s3: testPorts().s3 });
    // Assess
    expect(same.status).toBe('already-uploaded');
    expect(different.status).toBe('conflict');
  });

  it.each([
    ['the same bytes', false, 'already-uploaded'],
    ['other bytes', true, 'conflict'],
  ])(
    'answers from the conditional create when %s appear between its check and its write',
    async (_label, otherBytes, expected) => {
      // Prepare: a concurrent upload lands right after uploadBundle found the key free
      const bucket = await uniqueBucket('upload-race');
      const file = await bundle(`race-${expected}.zip`, 'com.example.race', '1.0.0');
      const concurrent = otherBytes
        ? await bundle(`race-other-${expected}.zip`, 'com.example.race', '1.0.0', 'concurrent build')
        : file;
      const real = testPorts();
      const puts: string[] = [];
      let raced = false;
      const racing: S3Port = {
        ...real.s3,
        headObject: async (input) => {
          try {
            return await real.s3.headObject(input);
          } finally {
            if (!raced) {
              raced = true;
              await s3.send(
                new PutObjectCommand({
                  Bucket: input.Bucket,
                  Key: input.Key,
                  Body: await readFile(concurrent),
                }),
              );
            }
          }
        },
        putObject: async (input) => {
          try {
            return await real.s3.putObject(input);
          } catch (err) {
            const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
            const cut = /\b(EPIPE|ECONNRESET)\b/.exec(String(err))?.[1];
            puts.push(`${String(input.IfNoneMatch)} → ${status ?? cut ?? String(err)}`);
            throw err;
          }
        },
      };
      const key = `${PREFIX}com.example.race_1.0.0.zip`;
      const before = await s3
        .send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
        .catch(() => undefined);
      // Act
      const result = await uploadBundle(
        file,
        { releaseBucket: bucket, releasePrefix: PREFIX },
        { s3: racing },
      );
      // Assess
      expect(before).toBeUndefined();
      // one conditional create, refused with 412 (AWS, moto). LocalStack may answer 412 before it
      // reads the body and close the connection: the SDK then sees the write cut (EPIPE/ECONNRESET),
      // which the upload retries like any network error, and the retry gets the 412
      console.log(`conditional create on ${backendName()}: ${puts.join(', ')}`);
      expect(puts.at(-1)).toBe('* → 412');
      for (const cut of puts.slice(0, -1)) expect(cut).toMatch(/^\* → (EPIPE|ECONNRESET)$/);
      expect(result.status).toBe(expected);
      const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(await readFile(concurrent))).toBe(
        true,
      );
    },
  );

  it('lets the conditional create decide when a HEAD is refused (no s3:ListBucket: 403 for a missing key)', async () => {
    // Prepare: the real port, with HEAD answering as S3 does for a principal without s3:ListBucket
    const bucket = await uniqueBucket('upload-403');
    const file = await bundle('forbidden-head.zip', 'com.example.nolist', '1.0.0');
    const real = testPorts();
    const forbidden: S3Port = {
      ...real.s3,
      headObject: () =>
        Promise.reject(
          new S3ServiceException({
            name: 'Forbidden',
            $fault: 'client',
            $metadata: { httpStatusCode: 403 },
            message: 'Forbidden',
          }),
        ),
    };
    const target = { releaseBucket: bucket, releasePrefix: PREFIX };
    // Act
    const first = await uploadBundle(file, target, { s3: forbidden });
    const second = uploadBundle(file, target, { s3: forbidden });
    // Assess: the first creates; the second learns from the 412 that the key exists, and cannot read it
    expect(first.status).toBe('uploaded');
    await expect(second).rejects.toThrow(/cannot read what the key holds: .*Forbidden/);
    expect(await keys(bucket)).toEqual([`${PREFIX}com.example.nolist_1.0.0.zip`]);
  });

  it('refuses an invalid bundle with every issue and writes nothing', async () => {
    // Prepare
    const bucket = await uniqueBucket('upload-invalid');
    const spec = await simpleAppSpec('com.example.broken', '0.1.0', { functions: 2 });
    const manifest = spec.manifest as { aws_lambda: { runtime: string }[] };
    manifest.aws_lambda[0]!.runtime = 'go1.x';
    delete spec.functions!['fn1.zip'];
    const file = await writeBundle(path.join(dir, 'broken.zip'), spec);
    // Act
    const result = await uploadBundle(
      file,
      { releaseBucket: bucket, releasePrefix: PREFIX },
      { s3: testPorts().s3 },
    );
    // Assess
    expect(result.status).toBe('invalid');
    if (result.status !== 'invalid') throw new Error('not invalid');
    expect(result.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['$.aws_lambda[0].runtime', expect.stringContaining('aws_lambda[1]')]),
    );
    expect(result.appId).toBe('com.example.broken');
    expect(await keys(bucket)).toEqual([]);
  });

  it('names the bucket when the upload itself fails', async () => {
    const file = await bundle('nobucket.zip', 'com.example.hello', '1.0.1');
    await expect(
      uploadBundle(
        file,
        { releaseBucket: 'no-such-bucket-upload-test', releasePrefix: PREFIX },
        { s3: testPorts().s3 },
      ),
    ).rejects.toThrow(
      /could not upload .*nobucket\.zip to s3:\/\/no-such-bucket-upload-test\/releases\/com\.example\.hello_1\.0\.1\.zip/,
    );
  });
});
