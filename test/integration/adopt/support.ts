/**
 * What appsctl / the upstream deployer leaves in an account, recreated with raw SDK calls the way
 * upstream makes them (mattermost-plugin-apps upstream/upaws): an execute role without tags, functions
 * created from the function zip bytes with name, handler, runtime and role only, the manifest stored
 * as JSON without metadata, and the invoke policy with its "AllowS3"/"AllowS3list" statements and an
 * "AllowLambda" statement listing function ARNs. Release bundles are uploaded under the release prefix.
 */
import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
} from '@aws-sdk/client-iam';
import { CreateFunctionCommand, type Runtime } from '@aws-sdk/client-lambda';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { lambdaFunctionName } from '../../../src/bundle/names';
import { bundleBuffer, simpleAppSpec, type BundleSpec } from '../../support/bundle-builder';
import { testClients } from '../../support/emulator';
import { PREFIX, upload, type Env } from '../reconcile/support';

export interface UpstreamApp {
  appId: string;
  version: string;
  spec: BundleSpec;
  releaseKey: string;
  manifestKey: string;
  /** Lambda names of its functions */
  names: string[];
  arns: string[];
}

export async function upstreamExecuteRole(env: Env): Promise<string> {
  const { iam } = testClients();
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: env.config.executeRoleName,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  await iam.send(
    new AttachRolePolicyCommand({
      RoleName: env.config.executeRoleName,
      PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    }),
  );
  return role.Role?.Arn ?? '';
}

/**
 * An app "deployed by upstream": its release bundle uploaded, its functions created from the bundle's
 * function zips (or `code` instead, for one with other code), its manifest stored.
 */
export async function upstreamApp(
  env: Env,
  roleArn: string,
  appId: string,
  version: string,
  opts: { functions?: number; code?: Buffer } = {},
): Promise<UpstreamApp> {
  const spec = await simpleAppSpec(appId, version, { functions: opts.functions });
  const releaseKey = `${PREFIX}${appId}_${version}.zip`;
  await upload(env, releaseKey, await bundleBuffer(spec));
  const manifest = spec.manifest as { aws_lambda: { name: string; handler: string; runtime: string }[] };
  const { lambda, s3 } = testClients();
  const names: string[] = [];
  const arns: string[] = [];
  for (const f of manifest.aws_lambda) {
    const name = lambdaFunctionName(appId, version, f.name).name;
    const out = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Handler: f.handler,
        Runtime: f.runtime as Runtime,
        Role: roleArn,
        Code: { ZipFile: opts.code ?? spec.functions?.[`${f.name}.zip`] },
      }),
    );
    names.push(name);
    arns.push(out.FunctionArn ?? '');
  }
  // upstream stores json.Marshal(manifest): the object form of aws_lambda, no metadata
  const manifestKey = `manifests/${appId}_${version}.json`;
  await s3.send(
    new PutObjectCommand({
      Bucket: env.appsBucket,
      Key: manifestKey,
      Body: JSON.stringify({ ...manifest, aws_lambda: { functions: manifest.aws_lambda } }),
    }),
  );
  return { appId, version, spec, releaseKey, manifestKey, names, arns };
}

/** appsctl `aws init` + deploys: the invoke policy (S3 reads, AllowLambda by ARN) attached to the group. */
export async function upstreamInvokePolicy(env: Env, functionArns: string[]): Promise<string> {
  const { iam } = testClients();
  const bucket = `arn:aws:s3:::${env.appsBucket}`;
  const out = await iam.send(
    new CreatePolicyCommand({
      PolicyName: env.config.invokePolicyName,
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AllowS3',
            Effect: 'Allow',
            Action: ['s3:GetObject'],
            Resource: [`${bucket}/manifests/*`, `${bucket}/static/*`],
          },
          { Sid: 'AllowS3list', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket] },
          { Sid: 'AllowLambda', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: functionArns },
        ],
      }),
    }),
  );
  const arn = out.Policy?.Arn ?? '';
  await iam.send(new CreateGroupCommand({ GroupName: env.config.invokeGroupName }));
  await iam.send(new AttachGroupPolicyCommand({ GroupName: env.config.invokeGroupName, PolicyArn: arn }));
  return arn;
}
