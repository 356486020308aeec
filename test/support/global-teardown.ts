/**
 * Jest globalTeardown: stops the backend global-setup.ts started (moto server process or LocalStack
 * container), once the last project sharing it is done. An endpoint given by AWS_ENDPOINT_URL is left alone.
 */
import { clearBackend, currentBackend } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const handle = currentBackend();
  if (!handle) return;
  handle.users -= 1;
  if (handle.users > 0) return;
  clearBackend();
  await handle.stop();
}
