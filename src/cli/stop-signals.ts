/**
 * SIGTERM and SIGINT while a command writes: the first asks the run to stop after its current writes
 * (the AbortSignal the domain code checks between writes; the command then exits 143 or 130), a second
 * exits at once. The one place the CLI handles them, for every command that writes under the lock.
 */
export const STOP_SIGNALS = { SIGTERM: 143, SIGINT: 130 } as const;
type StopSignal = keyof typeof STOP_SIGNALS;

export interface StopListener {
  signal: AbortSignal;
  /** stops listening (call in `finally`) */
  dispose(): void;
}

export function listenForStop(): StopListener {
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (abort.signal.aborted) process.exit(STOP_SIGNALS[signal as StopSignal] ?? 130);
    process.stderr.write(`apps-deployer: ${signal}: stopping after the current writes (again to exit now)\n`);
    abort.abort();
  };
  const signals = Object.keys(STOP_SIGNALS) as StopSignal[];
  for (const s of signals) process.on(s, onSignal);
  return {
    signal: abort.signal,
    dispose: () => {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}
