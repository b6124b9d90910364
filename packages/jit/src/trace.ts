import { _trace, Tensor } from '@mge/core';
import type { Graph } from './graph.js';
import { foldConstants, foldIntoConv } from './passes.js';
import { Program } from './program.js';
import { Recorder, type Recording, TraceError } from './recording.js';
import { toGraph } from './to-graph.js';
import { difference } from './verify.js';

export interface TraceOptions {
  /**
   * MegEngine's `symbolic`: false (default) replays the recorded kernels one by one; true
   * compiles the recording first: elementwise chains fused into one loop on the backends where
   * that is faster (see fuse.ts).
   */
  symbolic?: boolean;
  /**
   * MegEngine's `capture_as_const`: tensors the function reads from outside (parameters,
   * closure constants) are frozen at their traced values instead of read afresh at each call,
   * and a dumped graph holds them as constants. A function that updates them cannot be captured.
   */
  captureAsConst?: boolean;
  /**
   * MegEngine's `optimize_for_inference`, for a function with frozen parameters (needs
   * captureAsConst): constant subexpressions are computed once, and an inference BatchNorm
   * (per-channel scale and shift) after a convolution is folded into its weight and bias,
   * with a following relu taken into the convolution's epilogue.
   */
  optimizeForInference?: boolean;
  /**
   * Record the second call again and compare it with the first (default true): a number the
   * function computes on the host that changes between calls (Adam's bias correction from its
   * step count), or a host-side decision that changes the operators run, is reported instead of
   * frozen into the replay.
   */
  verify?: boolean;
  /** What a call whose input shapes or dtypes differ from every trace does: trace again (default) or throw. */
  onShapeChange?: 'retrace' | 'error';
}

/** A traced function: call it like the original. */
export interface Traced<A extends unknown[], R> {
  (...args: A): R;
  /** The static graph of the latest trace (param and const values carry their data). */
  graph(names?: NamedTensors): Promise<Graph>;
  /** How many times the function has been recorded (one per input signature). */
  readonly traceCount: number;
  /**
   * The latest trace's program: recorded kernel steps, the fused loops that replace some
   * (symbolic), and the steps whose outputs go to planned buffers (`plannedBytes` of them, made
   * at the first replay on backends that plan; the other steps' outputs come from the backend).
   */
  readonly stats: { steps: number; fusedLoops: number; plannedSteps: number; plannedBytes: number } | null;
}

/** Something with named parameters and buffers (a Module), for readable names in a graph. */
export interface NamedTensors {
  namedParameters?(): Iterable<[string, Tensor]>;
  namedBuffers?(): Iterable<[string, Tensor]>;
}

interface Leaf {
  path: string;
  tensor: Tensor;
}

const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;

/** The tensors inside args (arrays and plain objects are walked) and a key of everything else. */
function flatten(value: unknown, path: string, leaves: Leaf[], key: string[]): void {
  if (value instanceof Tensor) {
    leaves.push({ path, tensor: value });
    key.push(`${path}:T[${value.shape.join(',')}]${value.dtype}@${value.device}`);
  } else if (Array.isArray(value)) {
    key.push(`${path}:[${value.length}]`);
    for (const [i, v] of value.entries()) flatten(v, `${path}[${i}]`, leaves, key);
  } else if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) flatten(v, `${path}.${k}`, leaves, key);
  } else if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
    // a Module, an optimizer, a function: the same object means the same trace
    let id = objectIds.get(value);
    if (id === undefined) objectIds.set(value, (id = nextObjectId++));
    key.push(`${path}:object#${id}`);
  } else {
    key.push(`${path}=${typeof value === 'bigint' ? String(value) : JSON.stringify(value)}`);
  }
}

/** The result with its tensors replaced by output slots, to be rebuilt from a replay's tensors. */
function template(value: unknown, outs: Tensor[]): unknown {
  if (value instanceof Tensor) {
    outs.push(value);
    return { __out: outs.length - 1 };
  }
  if (Array.isArray(value)) return value.map((v) => template(v, outs));
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, template(v, outs)]));
  }
  return value;
}

function rebuild(t: unknown, outs: readonly Tensor[]): unknown {
  if (Array.isArray(t)) return t.map((v) => rebuild(v, outs));
  if (typeof t === 'object' && t !== null) {
    if ('__out' in t) return outs[(t as { __out: number }).__out];
    return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, rebuild(v, outs)]));
  }
  return t;
}

interface Compiled {
  key: string[];
  /** Every argument is a tensor: later calls are matched by `tensors` alone. */
  tensorsOnly: boolean;
  tensors: { shape: readonly number[]; dtype: string; device: string }[];
  /** The recording as made, before any rewrite: what the verifying second call is compared with. */
  raw: Recording;
  verified: boolean;
  /** Parameters whose `.grad` the step leaves set: their gradients follow the results. */
  grads: Tensor[];
  program: Program;
  result: unknown;
}

function sameTensors(args: readonly unknown[], sig: Compiled['tensors']): boolean {
  if (args.length !== sig.length) return false;
  for (let i = 0; i < args.length; i++) {
    const t = args[i];
    if (!(t instanceof Tensor)) return false;
    const s = sig[i];
    if (t.dtype !== s.dtype || t.device !== s.device || t.shape.length !== s.shape.length) return false;
    for (let d = 0; d < s.shape.length; d++) if (t.shape[d] !== s.shape[d]) return false;
  }
  return true;
}

/** Replays a program; the gradients it leaves on parameters follow the results. */
function runProgram(c: Compiled, inputs: Tensor[]): Tensor[] {
  const outs = c.program.execute(inputs);
  const first = outs.length - c.grads.length;
  for (let i = 0; i < c.grads.length; i++) c.grads[i].grad = outs[first + i];
  return outs;
}

/** The first difference between two input keys, for the error that names the changed input. */
function changed(was: readonly string[], now: readonly string[]): string {
  for (let i = 0; i < Math.max(was.length, now.length); i++) {
    if (was[i] !== now[i]) {
      const a = was[i] ?? '(nothing)';
      const b = now[i] ?? '(nothing)';
      const name = (b.match(/^[^:=]+/) ?? a.match(/^[^:=]+/))?.[0];
      return `input ${name} was ${a.slice(name?.length ?? 0).replace(/^[:=]/, '')}, now ${b.slice(name?.length ?? 0).replace(/^[:=]/, '')}`;
    }
  }
  return 'the inputs differ';
}

/**
 * MegEngine's `jit.trace`: the first call of `fn` runs it eagerly and records every kernel it
 * launches — forward, GradManager's backward and an optimizer's in-place updates alike; later
 * calls with inputs of the same shapes and dtypes (and equal non-tensor arguments) replay the
 * recording without going through the operators. A call with other shapes records again
 * (or throws, with `onShapeChange: 'error'`) and says which input changed. Reading a value
 * computed inside the function on the host (item(), numpy(), data()) while recording is an
 * error: a replay could not repeat the decision taken from it.
 */
export function trace<A extends unknown[], R>(fn: (...args: A) => R, options: TraceOptions = {}): Traced<A, R> {
  if (typeof fn !== 'function') throw new TypeError(`trace: argument 'fn' must be a function, got ${fn === null ? 'null' : typeof fn}`);
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`trace: argument 'options' must be an object, got ${String(options)}`);
  const { symbolic = false, captureAsConst = false, optimizeForInference = false, verify = true, onShapeChange = 'retrace' } = options;
  for (const [k, v] of Object.entries({ symbolic, captureAsConst, optimizeForInference, verify })) {
    if (typeof v !== 'boolean') throw new TypeError(`trace: option '${k}' must be a boolean, got ${JSON.stringify(v)}`);
  }
  if (onShapeChange !== 'retrace' && onShapeChange !== 'error') {
    throw new TypeError(`trace: option 'onShapeChange' must be 'retrace' or 'error', got ${JSON.stringify(onShapeChange)}`);
  }
  if (optimizeForInference && !captureAsConst) {
    throw new TypeError('trace: option optimizeForInference folds parameters into the graph and needs captureAsConst: true');
  }
  const cache = new Map<string, Compiled>();
  let latest: Compiled | null = null;
  let traceCount = 0;

  /** Runs fn eagerly while recording its kernels. */
  const runRecorded = (args: A, leaves: Leaf[]) => {
    const inputs = leaves.map((l) => l.tensor);
    const recorder = new Recorder(inputs, _trace.nextTensorId());
    const prev = _trace.setOpRecorder(recorder);
    const outs: Tensor[] = [];
    try {
      const result = fn(...args);
      if (result instanceof Promise) {
        throw new TraceError('trace: the traced function returned a Promise; trace a synchronous function and await reads after the call');
      }
      const shape = template(result, outs);
      const outputs = outs.map((t) => recorder.outputValue(t)); // computes deferred results while recording
      const grads = recorder.gradients();
      return { result, recorder, outs, shape, outputs, grads };
    } catch (e) {
      recorder.unpin();
      throw e;
    } finally {
      _trace.setOpRecorder(prev);
    }
  };

  const record = (args: A, leaves: Leaf[], key: string[]): R => {
    const { result, recorder, outs, shape, outputs, grads } = runRecorded(args, leaves);
    let recording: Recording = { values: recorder.values, steps: recorder.steps, inputs: recorder.inputs };
    if (captureAsConst && recording.steps.some((s) => s.type === 'reset')) {
      recorder.unpin();
      throw new TraceError(
        'trace: captureAsConst freezes the tensors the function reads from outside, but this function updates some in place (an optimizer step); trace it without captureAsConst',
      );
    }
    const raw = recording;
    if (optimizeForInference) recording = foldIntoConv(foldConstants(recording), outputs);
    const compiled = {
      key,
      tensorsOnly: args.every((a) => a instanceof Tensor),
      tensors: leaves.map(({ tensor: t }) => ({ shape: t.shape, dtype: t.dtype, device: t.device })),
      raw,
      verified: !verify,
      grads: grads.map((g) => g.param),
      program: new Program(
        recording,
        [...outputs, ...grads.map((g) => g.value)],
        [...outs.map((t) => t.shape), ...grads.map((g) => (g.param.grad as Tensor).shape)],
        captureAsConst,
        symbolic,
        optimizeForInference,
      ),
      result: shape,
    };
    cache.set(key.join('|'), compiled);
    latest = compiled;
    traceCount++;
    return result;
  };

  const traced = ((...args: A): R => {
    // inside another trace's recording: run eagerly, so that the outer trace records these kernels
    if (_trace.opRecorder()) return fn(...args);
    // the common call: only tensors, as in the latest replay — checked without building a key
    const last = latest;
    if (last?.verified && last.tensorsOnly && sameTensors(args, last.tensors)) {
      return rebuild(last.result, runProgram(last, args as unknown as Tensor[])) as R;
    }
    const leaves: Leaf[] = [];
    const key: string[] = [];
    for (const [i, a] of args.entries()) flatten(a, `args[${i}]`, leaves, key);
    const hit = cache.get(key.join('|'));
    if (!hit) {
      if (latest && onShapeChange === 'error') {
        throw new TraceError(
          `trace: the inputs differ from the traced ones (${changed(latest.key, key)}); trace again or pass onShapeChange: 'retrace'`,
        );
      }
      return record(args, leaves, key);
    }
    latest = hit;
    if (!hit.verified) {
      const again = runRecorded(args, leaves);
      again.recorder.unpin();
      const why = difference(hit.raw, { values: again.recorder.values, steps: again.recorder.steps, inputs: again.recorder.inputs });
      if (why) {
        cache.delete(key.join('|'));
        latest = null;
        throw new TraceError(
          `trace: the traced function did not do the same on its second call with inputs of the same shapes: ${why}. A replay would repeat the first call; compute such values with tensor operators, or pass them in as tensor inputs`,
        );
      }
      hit.verified = true;
      // frozen tensors (captureAsConst) mean the replay's results, not this eager run's; such a
      // function updates nothing in place, so running it once more changes nothing
      if (!captureAsConst) return again.result as R;
    }
    return rebuild(
      hit.result,
      runProgram(
        hit,
        leaves.map((l) => l.tensor),
      ),
    ) as R;
  }) as Traced<A, R>;
  Object.defineProperty(traced, 'traceCount', { get: () => traceCount });
  Object.defineProperty(traced, 'stats', {
    get: () =>
      latest && {
        steps: latest.program.recording.steps.length,
        fusedLoops: latest.program.fusedSteps,
        plannedSteps: latest.program.plannedSteps,
        plannedBytes: latest.program.plannedBytes,
      },
  });
  traced.graph = async (names?: NamedTensors) => {
    if (!latest) throw new TraceError('trace: graph() needs one call of the traced function first, to record it');
    return toGraph(latest.program, names);
  };
  return traced;
}
