/**
 * The SDK's FunctionActiveV2 / FunctionUpdatedV2 waiters with a deadline, their failures turned into the
 * deployer's errors (the function's own reason kept).
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { WaiterFailedError, WaiterTimeoutError } from './errors';

/** Waiter polling delays (seconds). */
export const WAITER_MIN_DELAY_SECONDS = 1;
export const WAITER_MAX_DELAY_SECONDS = 5;

export type FunctionWaiter = typeof waitUntilFunctionActiveV2;

/** Waits with `client` (one the caller keeps for the whole wait) until the waiter's state is reached. */
export async function runWaiter(
  client: LambdaClient,
  waiter: FunctionWaiter,
  waiterName: string,
  functionName: string,
  maxWaitSeconds: number,
): Promise<void> {
  // the SDK wants maxWaitTime > minDelay ≤ maxDelay
  const minDelay = Math.min(WAITER_MIN_DELAY_SECONDS, maxWaitSeconds / 2);
  const maxDelay = Math.max(minDelay, Math.min(WAITER_MAX_DELAY_SECONDS, maxWaitSeconds));
  try {
    await waiter({ client, maxWaitTime: maxWaitSeconds, minDelay, maxDelay }, { FunctionName: functionName });
  } catch (err) {
    if (err instanceof Error && err.name === 'TimeoutError')
      throw new WaiterTimeoutError(waiterName, functionName, maxWaitSeconds, err);
    if (err instanceof Error && err.message.startsWith('{'))
      throw new WaiterFailedError(waiterName, functionName, waiterFailureDetail(err.message), err);
    throw err;
  }
}

/** The waiter's failure message is the JSON of its last result; keep the function's own reason. */
function waiterFailureDetail(message: string): string {
  try {
    const parsed = JSON.parse(message) as {
      state?: string;
      reason?: {
        Configuration?: {
          State?: string;
          StateReason?: string;
          LastUpdateStatus?: string;
          LastUpdateStatusReason?: string;
        };
      };
    };
    const c = parsed.reason?.Configuration;
    if (c) {
      const parts = [
        c.State && `State=${c.State}`,
        c.StateReason,
        c.LastUpdateStatus && `LastUpdateStatus=${c.LastUpdateStatus}`,
        c.LastUpdateStatusReason,
      ].filter(Boolean);
      if (parts.length > 0) return parts.join('; ');
    }
    return parsed.state ?? 'unknown failure';
  } catch {
    return message.slice(0, 200);
  }
}
