/**
 * The provisioner: makes one validated bundle live in AWS, in DESIGN.md's commit order.
 *
 *   ensureIam (once per run) → read the manifest (conflict / replace decided before any bundle write)
 *   → per function (bounded): stage code in S3 → create or converge the function (wait Active/Updated)
 *   → static assets (bounded) → the version record (record.ts, for verify) → the manifest, last, as a
 *   conditional create.
 *
 * Invariant I1: the manifest exists ⇒ every function exists with the bundle's code, configuration and
 * tags, and every asset exists. Idempotent and crash-safe: every step reads first and writes only what
 * differs, so a run interrupted anywhere is completed by the next one, and a second run writes nothing.
 * `options.assertCanWrite` runs before every AWS write (the ports are wrapped, see guard.ts).
 * The provisioner never prints: it emits ProvisionEvents and logs through the injected logger.
 */
import type { Readable } from 'node:stream';
import type { AwsPorts } from '../aws/ports';
import { openValidatedEntry } from '../bundle/reader';
import type { BundleEntryRange } from '../bundle/types';
import type { Bundle } from '../bundle/types';
import type { DeployerConfig } from '../config';
import { isNotFound } from '../aws/errors';
import type { Logger } from '../log';
import { ensureAsset, inspectAsset } from './assets';
import { codeKey, codeState, stageCode } from './code';
import { mapBounded } from './concurrency';
import { ASSET_CONCURRENCY, DEFAULT_TUNING, FUNCTION_CONCURRENCY, type ProvisionTuning } from './constants';
import type { StepContext } from './context';
import { ConflictError } from './errors';
import { guardWrites } from './guard';
import { ensureIamResources, type IamState } from './iam';
import { ensureFunction, inspectFunction } from './lambda';
import {
  assertNotOtherBundle,
  createManifest,
  deleteManifest,
  isSameBundle,
  readManifestState,
} from './manifest';
import { writeVersionRecord } from './record';
import { realClock, withRetry, type RetryClock } from './retry';
import type {
  PlannedAction,
  ProvisionEvent,
  ProvisionEventSink,
  ProvisionOptions,
  ProvisionPlan,
  ProvisionResult,
} from './types';

export interface ProvisionerDeps {
  ports: AwsPorts;
  config: DeployerConfig;
  logger: Logger;
  onEvent?: ProvisionEventSink;
  /** deadlines and backoff (tests shorten them) */
  tuning?: Partial<ProvisionTuning>;
  /** time source of the retry loop (tests pass a fake) */
  clock?: RetryClock;
}

export class Provisioner {
  private readonly ports: AwsPorts;
  private readonly config: DeployerConfig;
  private readonly logger: Logger;
  private readonly onEvent?: ProvisionEventSink;
  private readonly tuning: ProvisionTuning;
  private readonly clock: RetryClock;
  private iam?: Promise<IamState>;

  constructor(deps: ProvisionerDeps) {
    this.ports = deps.ports;
    this.config = deps.config;
    this.logger = deps.logger;
    this.onEvent = deps.onEvent;
    this.tuning = { ...DEFAULT_TUNING, ...deps.tuning };
    this.clock = deps.clock ?? realClock;
  }

  /**
   * The execute role, the invoke policy and its attachment; once per run (later calls share the
   * first result; a failure is not cached, so a later call tries again).
   */
  async ensureIam(options: { assertCanWrite?: () => void } = {}): Promise<{ roleArn: string }> {
    const state = await this.iamState(options.assertCanWrite);
    return { roleArn: state.roleArn };
  }

  private iamState(assertCanWrite?: () => void): Promise<IamState> {
    if (!this.iam) {
      const ctx = this.context(guardWrites(this.ports, assertCanWrite), '(IAM)', false);
      this.iam = ensureIamResources(ctx);
      this.iam.catch(() => {
        this.iam = undefined;
      });
    }
    return this.iam;
  }

  private context(
    ports: AwsPorts,
    bundle: string,
    roleIsNew: boolean,
    logger = this.logger,
    bundleFile?: string,
    onBytes?: StepContext['onBytes'],
  ): StepContext {
    const openEntry = (range: BundleEntryRange): Readable => {
      if (bundleFile === undefined) throw new Error(`no bundle to read "${range.entry}" from`);
      return openValidatedEntry(bundleFile, range);
    };
    const emit = (event: ProvisionEvent): void => {
      logger.debug({ event }, 'provision event');
      this.onEvent?.(event);
    };
    return {
      ports,
      config: this.config,
      logger,
      tuning: this.tuning,
      bundle,
      clock: this.clock,
      emit,
      onBytes,
      openEntry,
      retry: (step, resource, op) =>
        withRetry(op, {
          step,
          resource,
          bundle,
          tuning: this.tuning,
          roleIsNew,
          roleName: this.config.executeRoleName,
          clock: this.clock,
          onRetry: ({ attempt, reason, delayMs }) => {
            logger.info({ step, resource, attempt, reason, delayMs }, 'retrying');
            emit({ type: 'retry', step, resource, attempt, reason });
          },
        }),
    };
  }

  async provision(bundle: Bundle, options: ProvisionOptions): Promise<ProvisionResult> {
    const started = this.clock.now();
    const ports = guardWrites(this.ports, options.assertCanWrite);
    const iam = await this.iamState(options.assertCanWrite);
    // every line of this bundle names it: bundles provisioned in parallel share this provisioner
    const logger =
      options.logger ??
      this.logger.child({
        bundle: options.releaseKey ?? bundle.file,
        appId: bundle.appId,
        version: bundle.version,
      });
    const ctx = this.context(
      ports,
      options.releaseKey ?? bundle.file,
      iam.roleIsNew,
      logger,
      bundle.file,
      options.onBytes,
    );
    const replace = options.replace === true;

    // 1. the manifest decides: not provisioned / provisioned from this bundle / from another one
    const manifest = await readManifestState(ctx, bundle.manifestKey);
    let manifestExists = manifest.exists;
    if (manifest.exists && !isSameBundle(bundle, manifest) && !replace)
      assertNotOtherBundle(ctx, bundle, manifest);
    // every existing function is judged before the first write: a conflict found half-way would leave
    // staged code and new functions behind, and with replace an unpublished version
    const inspected = await mapBounded(bundle.functions, FUNCTION_CONCURRENCY, (fn) =>
      inspectFunction(ctx, bundle, fn, iam.roleArn, { manifestExists: manifest.exists, replace }),
    );
    if (manifest.exists && !isSameBundle(bundle, manifest)) {
      // replace: unpublish first, so that I1 holds while the functions change
      await deleteManifest(ctx, bundle, manifest.etag);
      manifestExists = false;
    }
    logger.info({ step: 'start', manifestExists, replace }, 'provisioning bundle');

    // 2. functions: stage the code, then create or converge
    const functions = await mapBounded(bundle.functions, FUNCTION_CONCURRENCY, async (fn, i) => {
      await stageCode(ctx, fn);
      const outcome = await ensureFunction(
        ctx,
        bundle,
        fn,
        iam.roleArn,
        { manifestExists, replace },
        inspected[i],
      );
      return { name: fn.name, lambdaName: fn.lambdaName, outcome };
    });

    // 3. static assets
    const assets = await mapBounded(bundle.assets, ASSET_CONCURRENCY, async (asset) => ({
      key: asset.key,
      outcome: await ensureAsset(ctx, asset),
    }));

    // 4. the manifest, last
    let status: ProvisionResult['status'] = 'already-provisioned';
    // what the version must have, for `verify` (no bundle download for a healthy version)
    if (!manifestExists || options.writeRecord === true) await writeVersionRecord(ctx, bundle);
    if (!manifestExists) {
      status =
        (await createManifest(ctx, bundle, options)) === 'created' ? 'provisioned' : 'already-provisioned';
    } else {
      ctx.emit({ type: 'step', step: 'manifest', resource: bundle.manifestKey, outcome: 'unchanged' });
    }
    const result: ProvisionResult = {
      appId: bundle.appId,
      version: bundle.version,
      status,
      manifestKey: bundle.manifestKey,
      functions,
      assets,
      durationMs: Math.max(0, this.clock.now() - started),
    };
    logger.info({ step: 'done', status, durationMs: result.durationMs }, 'bundle provisioned');
    return result;
  }

  /** What provision() would do, from reads only (provision --dry-run). IAM is only looked at. */
  async plan(bundle: Bundle, options: { replace?: boolean } = {}): Promise<ProvisionPlan> {
    const logger = this.logger.child({ bundle: bundle.file, appId: bundle.appId, version: bundle.version });
    const ctx = this.context(this.ports, bundle.file, false, logger);
    const replace = options.replace === true;
    const conflicts: string[] = [];

    const role = await ctx.retry('iam', this.config.executeRoleName, async () => {
      try {
        return (await this.ports.iam.getRole({ RoleName: this.config.executeRoleName })).Role;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    });
    const executeRole = role ? 'exists' : this.config.createIam ? 'create' : 'missing';
    const roleArn = role?.Arn ?? `arn:aws:iam::000000000000:role/${this.config.executeRoleName}`;

    const state = await readManifestState(ctx, bundle.manifestKey);
    let manifest: ProvisionPlan['manifest'] = 'create';
    if (state.exists) {
      if (isSameBundle(bundle, state)) manifest = 'unchanged';
      else if (replace) manifest = 'replace';
      else {
        manifest = 'conflict';
        try {
          assertNotOtherBundle(ctx, bundle, state);
        } catch (err) {
          conflicts.push((err as Error).message);
        }
      }
    }
    const manifestExists = manifest === 'unchanged' || manifest === 'conflict';

    const code = await mapBounded(bundle.functions, FUNCTION_CONCURRENCY, async (fn) => {
      const s = await codeState(ctx, fn);
      const action: PlannedAction = s === 'present' ? 'unchanged' : s === 'missing' ? 'create' : 'update';
      return { key: codeKey(fn), action };
    });
    const functions = await mapBounded(bundle.functions, FUNCTION_CONCURRENCY, async (fn) => {
      const base = { name: fn.name, lambdaName: fn.lambdaName };
      try {
        const a = await inspectFunction(ctx, bundle, fn, roleArn, { manifestExists, replace });
        const action: PlannedAction =
          a.kind === 'create' ? 'create' : a.kind === 'unchanged' ? 'unchanged' : 'update';
        return { ...base, action };
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        conflicts.push(err.message);
        return { ...base, action: 'conflict' as const, reason: err.message };
      }
    });
    const assets = await mapBounded(bundle.assets, ASSET_CONCURRENCY, async (asset) => {
      const a = await inspectAsset(ctx, asset);
      return { key: asset.key, action: a as PlannedAction };
    });
    return {
      appId: bundle.appId,
      version: bundle.version,
      manifestKey: bundle.manifestKey,
      manifest,
      executeRole,
      functions,
      code,
      assets,
      conflicts,
    };
  }
}
