/**
 * Maps `items` with at most `concurrency` calls of `fn` in flight: a fixed pool of workers pulling the
 * next index, so neither the requests nor the pending promises grow with the list. Results keep the
 * order of `items`. The first error stops the workers from taking new items and is thrown.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const workers = Math.max(1, Math.min(concurrency, items.length));
  // a fixed number of workers (≤ concurrency), not one promise per item
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
