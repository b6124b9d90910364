/**
 * Synchronous waits on Dawn for Node. Dawn completes a GPU promise (mapAsync, onSubmittedWorkDone,
 * popErrorScope) only when its event runner calls ProcessEvents, and the runner schedules each of
 * those calls with the global `setImmediate`. Spinning in JavaScript never lets that callback run,
 * and the binding offers no other way to process events. So, in Node only, setImmediate is wrapped
 * before Dawn loads: callbacks the binding schedules (native functions) are remembered, and
 * `pumpUntil` runs the pending ones itself; the event loop later skips those that already ran.
 * Browsers cannot wait on the GPU synchronously at all, which is why nothing here runs there.
 */

interface Scheduled {
  run: () => void;
  ran: boolean;
  /** The event loop's handle: a callback the pump ran is taken off the loop's queue. */
  handle?: unknown;
}

const pending = new Set<Scheduled>();
let installed = false;

/** Binding callbacks are nameless native functions; callbacks written in JavaScript are never touched. */
function isNative(fn: unknown): fn is (...args: unknown[]) => void {
  return typeof fn === 'function' && fn.name === '' && /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(fn));
}

/** Wraps globalThis.setImmediate; call before Dawn's module is created. Idempotent. */
export function installDawnEventPump(): void {
  if (installed) return;
  const g = globalThis as unknown as { setImmediate?: (fn: (...a: unknown[]) => void, ...args: unknown[]) => unknown };
  const real = g.setImmediate;
  const clear = (globalThis as unknown as { clearImmediate?: (h: unknown) => void }).clearImmediate;
  if (typeof real !== 'function') return;
  installed = true;
  const wrapped = function setImmediate(fn: (...a: unknown[]) => void, ...args: unknown[]): unknown {
    if (!isNative(fn)) return real(fn, ...args);
    const entry: Scheduled = {
      ran: false,
      run: () => {
        if (entry.ran) return;
        entry.ran = true;
        pending.delete(entry);
        // Dawn reschedules its event processing while work is pending: a synchronous wait runs
        // it hundreds of times, and every handle left queued would stay in memory until the loop turns.
        if (entry.handle !== undefined) clear?.(entry.handle);
        fn(...args);
      },
    };
    pending.add(entry);
    entry.handle = real(entry.run);
    return entry.handle;
  };
  // Keeps util.promisify(setImmediate) and the like working.
  Object.assign(wrapped, real);
  g.setImmediate = wrapped;
}

/** Whether `pumpUntil` can wait here (Node, with the wrapper installed). */
export function canPump(): boolean {
  return installed;
}

/** Synchronous waits and the polls they made (each poll leaves Dawn's rescheduled native callback until the loop turns). */
export const pumpStats = { waits: 0, polls: 0 };

const sleeper = typeof SharedArrayBuffer === 'function' ? new Int32Array(new SharedArrayBuffer(4)) : undefined;

/** How long waits of one kind took recently (ms per unit of work waited for, a moving average), kept by the caller between waits. */
export interface WaitEstimate {
  ms: number;
}

/** Runs Dawn's scheduled event processing once (e.g. so that work already finished settles before a wait is estimated). */
export function pollDawn(): void {
  if (pending.size === 0) return;
  pumpStats.polls++;
  for (const e of [...pending]) e.run();
}

/**
 * Runs Dawn's scheduled event processing until `done()` holds. Throws if nothing is scheduled
 * (no GPU operation is pending, so `done()` can never become true) or after `timeoutMs`.
 *
 * Every poll makes Dawn schedule its event processing again with a new native function, whose
 * memory (~0.4 KB) Node frees only when the event loop turns: in a loop that never yields, polls
 * are memory. Polling every 0.1 ms kept ~75 KB a LeNet step (batch 64, lavapipe); a quarter-of-
 * the-time-waited backoff capped at 8 ms still made 85 polls (~35 KB) a step. So with an
 * `estimate` of how long such waits take (per unit: `units` is how much work this wait is for),
 * the wait first sleeps through 60 % of it, then polls at a tenth of it, and updates the estimate.
 */
export function pumpUntil(done: () => boolean, what: string, timeoutMs = 600_000, estimate?: WaitEstimate, units = 1): void {
  const start = performance.now();
  let rounds = 0;
  pumpStats.waits++;
  const expect = estimate ? estimate.ms * units : 0;
  if (expect > 0 && sleeper && !done()) Atomics.wait(sleeper, 0, 0, Math.min(0.6 * expect, timeoutMs));
  const spins = expect > 0 ? 1 : 8;
  const cap = Math.max(8, expect / 10);
  let polls = 0;
  while (!done()) {
    polls++;
    pumpStats.polls++;
    const due = [...pending];
    if (due.length === 0) throw new Error(`webgpu: ${what}: no GPU event is pending, so a synchronous wait cannot finish`);
    for (const e of due) e.run();
    if (done()) break;
    // The GPU works on other threads: after a short spin, sleep between polls, a quarter of the time waited so far.
    const waited = performance.now() - start;
    if (++rounds > spins && sleeper) Atomics.wait(sleeper, 0, 0, Math.min(cap, Math.max(0.05, waited / 4)));
    if (performance.now() - start > timeoutMs) throw new Error(`webgpu: ${what}: the GPU did not finish within ${timeoutMs / 1000} s`);
  }
  if (estimate) {
    // Done at the first poll: the sleep was too long by an unknown amount, so the estimate halves
    // (a moving average of overslept times would shrink only slowly after one long wait).
    const took = performance.now() - start;
    const per = took / units;
    estimate.ms = expect > 0 && polls <= 1 ? 0.5 * estimate.ms : estimate.ms === 0 ? per : 0.7 * estimate.ms + 0.3 * per;
  }
}
