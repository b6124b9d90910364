// `traced.dump(file)`, MegEngine's way of writing a traced function for deployment. The writer
// lives in @mge/onnx, which depends on this package; so that jit does not import it back, the
// writer registers itself here when @mge/onnx is imported, and `dump` asks for it by then.
import { type NamedTensors, type Traced as Recorded, trace as record, type TraceOptions } from './trace.js';

/** Options of `traced.dump`: the module naming the weights, and the dumper's own options. */
export interface TracedDumpOptions {
  /** The module whose parameters the function reads: their state-dict keys name the weights. */
  names?: NamedTensors;
  [option: string]: unknown;
}

/** Writes a traced function to `file` (what @mge/onnx registers: ONNX). */
export type Dumper = (traced: Recorded<never[], unknown>, file: string, options: TracedDumpOptions) => Promise<void>;

let dumper: Dumper | null = null;

/** Makes `traced.dump` write with `fn`; @mge/onnx calls it on import. Returns the previous dumper. */
export function registerDumper(fn: Dumper | null): Dumper | null {
  if (fn !== null && typeof fn !== 'function') {
    throw new TypeError(`registerDumper: argument 'fn' must be a function or null, got ${typeof fn}`);
  }
  const previous = dumper;
  dumper = fn;
  return previous;
}

/** A traced function (trace.ts) with MegEngine's `dump`. */
export interface Traced<A extends unknown[], R> extends Recorded<A, R> {
  /**
   * MegEngine's `traced.dump(file)`: writes the latest trace of this inference function with
   * the registered dumper (import '@mge/onnx' — or 'megengine/onnx' — to write ONNX).
   */
  dump(file: string, options?: TracedDumpOptions): Promise<void>;
}

/** jit.trace (see trace.ts), with `dump`. */
export function trace<A extends unknown[], R>(fn: (...args: A) => R, options: TraceOptions = {}): Traced<A, R> {
  const traced = record(fn, options) as Traced<A, R>;
  traced.dump = async (file: string, dumpOptions: TracedDumpOptions = {}) => {
    if (!dumper) {
      throw new Error("traced.dump: no dump format is registered; import '@mge/onnx' (or 'megengine/onnx') first, which writes ONNX");
    }
    return dumper(traced as unknown as Recorded<never[], unknown>, file, dumpOptions);
  };
  return traced;
}
