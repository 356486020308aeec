/**
 * The effective settings of one app's functions: the deployment's (configuration), with the app's
 * overrides on top. DESIGN.md "Function settings".
 */
import type { DeployerConfig } from '../config';
import type { FunctionSettings } from './config';

export type EffectiveSettings = FunctionSettings;

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
export function effectiveSettings(config: DeployerConfig, _appId: string): EffectiveSettings {
  return deploymentSettings(config);
}
