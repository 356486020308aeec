/**
 * The effective settings of one app's functions: the deployment's (configuration), with the app's
 * overrides on top. DESIGN.md "Function settings".
 */
import type { DeployerConfig } from '../config';
import type { FunctionSettings } from './config';
import type { Architecture } from './overrides';

export interface EffectiveSettings extends FunctionSettings {
  /** set with the code (CreateFunction, UpdateFunctionCode): it must match the binary */
  architecture: Architecture;
  /** reserved concurrency; undefined: none (the account's unreserved pool) */
  reservedConcurrency?: number;
}

export function deploymentSettings(config: DeployerConfig): FunctionSettings {
  return {
    timeoutSeconds: config.lambdaTimeoutSeconds,
    memoryMb: config.lambdaMemoryMb,
    subnetIds: config.lambdaSubnetIds,
    securityGroupIds: config.lambdaSecurityGroupIds,
    environment: config.lambdaEnvironment,
    logRetentionDays: config.lambdaLogRetentionDays,
  };
}

/** The settings the functions of `appId` must carry. */
export function effectiveSettings(config: DeployerConfig, appId: string): EffectiveSettings {
  const base = deploymentSettings(config);
  // own properties only: an app id such as "constructor" must not read the prototype
  const o = Object.prototype.hasOwnProperty.call(config.appOverrides, appId)
    ? config.appOverrides[appId]
    : undefined;
  return {
    ...base,
    timeoutSeconds: o?.timeout ?? base.timeoutSeconds,
    memoryMb: o?.memory ?? base.memoryMb,
    environment: { ...base.environment, ...(o?.environment ?? {}) },
    logRetentionDays: o?.logRetentionDays ?? base.logRetentionDays,
    architecture: o?.architecture ?? 'x86_64',
    reservedConcurrency: o?.reservedConcurrency,
  };
}
