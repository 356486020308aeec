/**
 * Judges one existing function against the release bundle's function (reads nothing). A function is
 * adoptable only when everything both deployers set is what provisioning would set: CodeSha256 (the
 * bundle's function zip, base64), runtime, handler, role (the execute role), environment variables and
 * architecture (set with the code), and the package type. Settings the upstream deployer left at
 * Lambda's defaults and the deployer converges on its own (timeout, memory, VPC) are not a reason to
 * refuse: they are listed, and the first reconcile after adoption converges them (the app has no
 * settings fingerprint yet).
 */
import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { BundleFunction } from '../bundle/types';
import { sameMap, sameSet } from '../provision/same';
import type { EffectiveSettings } from '../settings/effective';
import type { LeftReason } from './types';

export type Judgement =
  | { adoptable: true; detail: string; settingsToConverge: string[] }
  | { adoptable: false; reason: LeftReason; detail: string };

const show = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));

/** What both deployers set that differs: "runtime nodejs18.x (provisioning sets nodejs20.x)". */
function configDifferences(
  conf: FunctionConfiguration,
  fn: BundleFunction,
  roleArn: string,
  settings: EffectiveSettings,
): string[] {
  const out: string[] = [];
  const differs = (what: string, have: unknown, want: unknown): void => {
    if (have !== want) out.push(`${what} ${show(have)} (provisioning sets ${show(want)})`);
  };
  differs('runtime', conf.Runtime, fn.runtime);
  differs('handler', conf.Handler, fn.handler);
  differs('role', conf.Role, roleArn);
  differs('architecture', conf.Architectures?.[0] ?? 'x86_64', settings.architecture);
  differs('package type', conf.PackageType ?? 'Zip', 'Zip');
  if (!sameMap(conf.Environment?.Variables, settings.environment))
    out.push(
      `environment variables ${show(Object.keys(conf.Environment?.Variables ?? {}).sort())} ` +
        `(provisioning sets ${show(Object.keys(settings.environment).sort())}, values compared too)`,
    );
  return out;
}

/** Settings the deployer converges after adoption (the upstream deployer left Lambda's defaults). */
function settingsToConverge(conf: FunctionConfiguration, settings: EffectiveSettings): string[] {
  const out: string[] = [];
  if (conf.Timeout !== settings.timeoutSeconds)
    out.push(`timeout ${show(conf.Timeout)} → ${settings.timeoutSeconds}`);
  if (conf.MemorySize !== settings.memoryMb)
    out.push(`memory ${show(conf.MemorySize)} → ${settings.memoryMb}`);
  if (
    !sameSet(conf.VpcConfig?.SubnetIds, settings.subnetIds) ||
    !sameSet(conf.VpcConfig?.SecurityGroupIds, settings.securityGroupIds)
  )
    out.push(
      `VPC subnets ${show(conf.VpcConfig?.SubnetIds ?? [])} → ${show(settings.subnetIds)}, ` +
        `security groups ${show(conf.VpcConfig?.SecurityGroupIds ?? [])} → ${show(settings.securityGroupIds)}`,
    );
  return out;
}

export function judgeFunction(
  conf: FunctionConfiguration | undefined,
  fn: BundleFunction,
  roleArn: string,
  settings: EffectiveSettings,
): Judgement {
  if (!conf) return { adoptable: false, reason: 'other-config', detail: 'Lambda returned no configuration' };
  if (conf.CodeSha256 !== fn.codeSha256)
    return {
      adoptable: false,
      reason: 'other-code',
      detail: `CodeSha256 ${show(conf.CodeSha256)}; the release bundle's ${fn.entry} has ${fn.codeSha256}`,
    };
  const differences = configDifferences(conf, fn, roleArn, settings);
  if (differences.length > 0)
    return { adoptable: false, reason: 'other-config', detail: differences.join('; ') };
  return {
    adoptable: true,
    detail: `code, runtime, handler, role, environment and architecture match ${fn.entry}`,
    settingsToConverge: settingsToConverge(conf, settings),
  };
}
