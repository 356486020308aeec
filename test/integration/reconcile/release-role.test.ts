/**
 * Cross-account release bucket (DESIGN.md): with APPS_DEPLOYER_RELEASE_ROLE_ARN the release bucket is
 * read through STS AssumeRole credentials, and everything else with the deployer's own. moto enforces
 * no IAM by default, so a recording proxy between the SDK and moto shows who signed each request:
 * the requests to the release bucket, and only those, carry the access key AssumeRole returned.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { createAwsPorts } from '../../../src/aws/clients';
import { loadConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';
import { tempDir } from '../../support/bundle-builder';
import { testAwsConfig, testClients, uniqueName } from '../../support/emulator';
import { freshEnv, outcomes, run, uniqueAppId, uploadApp } from './support';

jest.setTimeout(180_000);

interface Recorded {
  service: string;
  accessKey: string;
  method: string;
  path: string;
}

/** A proxy to the emulator recording each request's signing key and service (from the SigV4 scope),
 * and the access keys STS hands out. */
async function recordingProxy(target: string): Promise<{
  url: string;
  requests: Recorded[];
  issuedKeys: string[];
  close: () => Promise<void>;
}> {
  const to = new URL(target);
  const requests: Recorded[] = [];
  const issuedKeys: string[] = [];
  const server = http.createServer((req, res) => {
    const m = /Credential=([^/]+)\/[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '');
    const record: Recorded = {
      service: m?.[2] ?? '?',
      accessKey: m?.[1] ?? '?',
      method: req.method ?? '',
      path: req.url ?? '',
    };
    requests.push(record);
    const upstream = http.request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const body = Buffer.concat(chunks);
          if (record.service === 'sts')
            for (const k of body.toString('utf8').matchAll(/<AccessKeyId>([^<]+)<\/AccessKeyId>/g))
              issuedKeys.push(k[1] as string);
          res.writeHead(up.statusCode ?? 502, up.headers);
          res.end(body);
        });
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    issuedKeys,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('cross-account release bucket', () => {
  let tmp: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir: tmp, cleanup } = await tempDir());
  });
  afterAll(async () => cleanup());

  it('reads the release bucket, and only it, with the assumed role’s credentials', async () => {
    // Prepare: a release role, a bundle in the release bucket, the deployer's ports through the proxy
    const { iam } = testClients();
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: uniqueName('release-reader'),
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    iam.destroy();
    const e = await freshEnv(tmp);
    const app = uniqueAppId('x');
    const v = await uploadApp(e, app, '1.0');
    const proxy = await recordingProxy(testAwsConfig().endpoint as string);
    try {
      const own = testAwsConfig();
      const aws = {
        ...own,
        endpoint: proxy.url,
        releaseAccess: { bucket: e.releaseBucket, roleArn: role.Role?.Arn as string, externalId: 'mm-cloud' },
      };
      const ports = createAwsPorts(aws, { lambdaRequestsPerSecond: 50 });

      // Act
      const result = await run({ ...e, config: { ...e.config, aws } }, {}, { ports });

      // Assess: provisioned; one AssumeRole, signed with our own key
      expect(outcomes(result)).toEqual({ [v.key]: 'provisioned' });
      const sts = proxy.requests.filter((r) => r.service === 'sts');
      expect(sts.length).toBeGreaterThanOrEqual(1);
      expect(new Set(sts.map((r) => r.accessKey))).toEqual(new Set([own.credentials?.accessKeyId]));
      expect(proxy.issuedKeys.length).toBeGreaterThanOrEqual(1);
      const assumed = new Set(proxy.issuedKeys);
      expect(assumed.has(own.credentials?.accessKeyId as string)).toBe(false);

      // the release bucket: listed and downloaded, every request with the assumed key
      const toRelease = proxy.requests.filter(
        (r) => r.service === 's3' && r.path.startsWith(`/${e.releaseBucket}`),
      );
      expect(toRelease.map((r) => r.method)).toEqual(expect.arrayContaining(['GET']));
      expect(toRelease.length).toBeGreaterThanOrEqual(2); // the listing and the download
      for (const r of toRelease)
        expect({ ...r, assumed: assumed.has(r.accessKey) }).toMatchObject({ assumed: true });

      // everything else (apps bucket, Lambda, IAM) with the deployer's own key
      const others = proxy.requests.filter(
        (r) => r.service !== 'sts' && !(r.service === 's3' && r.path.startsWith(`/${e.releaseBucket}`)),
      );
      expect(new Set(others.map((r) => r.service))).toEqual(new Set(['s3', 'lambda', 'iam']));
      for (const r of others)
        expect({ ...r, own: r.accessKey === own.credentials?.accessKeyId }).toMatchObject({ own: true });
    } finally {
      await proxy.close();
    }
  });

  it('refuses a role ARN that is not one, an external id alone, and a role with a shared bucket', () => {
    const message = (env: Record<string, string>) => {
      try {
        loadConfig(env, {}, {});
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('no ConfigError');
    };
    expect(
      message({
        APPS_DEPLOYER_RELEASE_ROLE_ARN: 'arn:aws:s3:::bucket',
        MM_APPS_RELEASE_BUCKET: 'releases-b',
      }),
    ).toMatch(/APPS_DEPLOYER_RELEASE_ROLE_ARN "arn:aws:s3:::bucket" is not an IAM role ARN/);
    expect(message({ APPS_DEPLOYER_RELEASE_EXTERNAL_ID: 'x1' })).toMatch(
      /APPS_DEPLOYER_RELEASE_EXTERNAL_ID is set without APPS_DEPLOYER_RELEASE_ROLE_ARN/,
    );
    expect(message({ APPS_DEPLOYER_RELEASE_ROLE_ARN: 'arn:aws:iam::123456789012:role/r' })).toMatch(
      /needs a release bucket of its own/,
    );
  });
});
