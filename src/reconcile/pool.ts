/**
 * Runs `fn` over `items` with at most `concurrency` at once: that many workers pull the next item
 * from a shared cursor (no promise per item is created up front). `stop()` returning true makes the
 * workers take no new item; the items not started are returned as `notStarted`.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number, slot: number) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<{ notStarted: number[] }> {
  let next = 0;
  const notStarted: number[] = [];
  const worker = async (slot: number): Promise<void> => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      if (stop()) {
        notStarted.push(index);
        continue;
      }
      await fn(items[index] as T, index, slot);
    }
  };
  const workers: Promise<void>[] = [];
  for (let slot = 0; slot < Math.max(1, Math.min(concurrency, items.length)); slot++)
    workers.push(worker(slot));
  await Promise.all(workers);
  return { notStarted: notStarted.sort((a, b) => a - b) };
}
