/**
 * Ctrl-C (SIGINT) and SIGTERM for a command that holds resources: the first signal runs its
 * clean-up, then exits with the shell's code for that signal (128 + its number); a second one
 * while clean-up runs takes Node's default and ends the process at once.
 */
import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type InterruptSignal = (typeof SIGNALS)[number];

export interface Interrupt {
  /** The signal that arrived, once one has. */
  readonly received: InterruptSignal | undefined;
  /** The exit code for the signal that arrived. */
  readonly exitCode: number;
  /** Stops listening: the command ended on its own. */
  dispose(): void;
}

export function onInterrupt(cleanUp: (signal: InterruptSignal) => Promise<void>): Interrupt {
  let received: InterruptSignal | undefined;
  const exitCodeOf = (signal: InterruptSignal) => 128 + constants.signals[signal];
  const listeners = SIGNALS.map((signal) => {
    const listener = () => {
      received = signal;
      dispose();
      void cleanUp(signal).finally(() => process.exit(exitCodeOf(signal)));
    };
    process.once(signal, listener);
    return [signal, listener] as const;
  });
  const dispose = () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
  return {
    get received() {
      return received;
    },
    get exitCode() {
      return received ? exitCodeOf(received) : 0;
    },
    dispose,
  };
}
