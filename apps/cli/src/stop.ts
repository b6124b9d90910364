import type { Io } from './io.js';

/** Set when the user asked training to stop; the trainer checks it after every step. */
export interface StopSignal {
  readonly requested: boolean;
  dispose(): void;
}

/**
 * First Ctrl-C: finish the current step, keep the last complete checkpoint, exit 130.
 * Second Ctrl-C: quit at once (the checkpoint on disk is still whole: writes are atomic);
 * `beforeQuit` removes what a save in progress had written so far.
 */
export function watchSigint(io: Io, beforeQuit: () => void = () => {}): StopSignal {
  let requested = false;
  const onSigint = () => {
    if (requested) {
      io.stderr.write('\nmge: interrupted again, quitting now\n');
      try {
        beforeQuit();
      } finally {
        process.exit(130);
      }
    }
    requested = true;
    io.stderr.write('\nmge: stopping after the current step (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);
  return {
    get requested() {
      return requested;
    },
    dispose: () => {
      process.off('SIGINT', onSigint);
    },
  };
}

/** A stop signal driven by code (tests, embedding). */
export function manualStop(): StopSignal & { request(): void } {
  let requested = false;
  return {
    get requested() {
      return requested;
    },
    request: () => {
      requested = true;
    },
    dispose: () => {},
  };
}
