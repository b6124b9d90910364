import { noGrad, Parameter, shapesEqual, shapeToString, Tensor, tensor } from '@mge/core';
import { entriesOf, StateDict, type StateDictLike } from './state-dict.js';

export type ForwardPreHook = (module: AnyModule, inputs: unknown[]) => unknown[] | undefined;
export type ForwardHook = (module: AnyModule, inputs: unknown[], output: unknown) => unknown;

export interface HookHandle {
  remove(): void;
}

export type AnyModule = Module<any>;
type Leaf = Tensor | AnyModule;

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * The base of every network block (MegEngine's Module). A module is called like a
 * function — `net(x)` runs the forward pre-hooks, `forward`, then the forward hooks.
 * Parameters, buffers and sub-modules are found by walking the instance's fields
 * (arrays and plain objects of them too) in sorted key order, depth first, each
 * object once under its first name — MegEngine's order.
 */
export interface Module<Out = Tensor> {
  // biome-ignore lint/style/useShorthandFunctionType: an interface is what merges with the class
  (...inputs: any[]): Out;
}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above
export abstract class Module<Out = Tensor> {
  // Set on the callable shell in the constructor: a base class's field initialisers
  // would land on the discarded `this`.
  /** True in training mode (dropout active, batch statistics used). */
  declare training: boolean;
  declare private readonly _preHooks: Map<number, ForwardPreHook>;
  declare private readonly _hooks: Map<number, ForwardHook>;
  declare private _nextHook: number;

  constructor() {
    // A module is callable: the instance is an arrow function whose prototype is the class's.
    const self: any = (...inputs: unknown[]) => self._call(inputs);
    // drop the function's own name/length so a subclass may use those field names
    delete self.name;
    delete self.length;
    Object.setPrototypeOf(self, new.target.prototype);
    self.training = true;
    self._preHooks = new Map();
    self._hooks = new Map();
    self._nextHook = 0;
    // biome-ignore lint/correctness/noConstructorReturn: the callable shell replaces `this`
    return self;
  }

  abstract forward(...inputs: unknown[]): Out;

  private _call(inputs: unknown[]): Out {
    let args = inputs;
    for (const hook of this._preHooks.values()) {
      const r = hook(this, args);
      if (r !== undefined) args = Array.isArray(r) ? r : [r];
    }
    let out: unknown = this.forward(...args);
    for (const hook of this._hooks.values()) {
      const r = hook(this, args, out);
      if (r !== undefined) out = r;
    }
    return out as Out;
  }

  registerForwardPreHook(hook: ForwardPreHook): HookHandle {
    if (typeof hook !== 'function') throw new TypeError(`registerForwardPreHook: argument 'hook' must be a function, got ${typeof hook}`);
    const id = this._nextHook++;
    this._preHooks.set(id, hook);
    return { remove: () => this._preHooks.delete(id) };
  }

  registerForwardHook(hook: ForwardHook): HookHandle {
    if (typeof hook !== 'function') throw new TypeError(`registerForwardHook: argument 'hook' must be a function, got ${typeof hook}`);
    const id = this._nextHook++;
    this._hooks.set(id, hook);
    return { remove: () => this._hooks.delete(id) };
  }

  /** The instance's own fields expanded into (key, leaf) pairs, keys sorted. */
  private *_ownLeaves(): Generator<[string, Leaf]> {
    for (const key of Object.keys(this).sort()) {
      if (key.startsWith('_')) continue;
      yield* expand(key, (this as unknown as Record<string, unknown>)[key], 0);
    }
  }

  /** MegEngine's _flatten: depth first, sorted keys, each object once. */
  private *_flatten(recursive: boolean, prefix: string, seen: Set<unknown>, predicate: (x: Leaf) => boolean): Generator<[string, Leaf]> {
    const p = prefix ? `${prefix}.` : '';
    for (const [key, leaf] of this._ownLeaves()) {
      if (seen.has(leaf)) continue;
      seen.add(leaf);
      if (predicate(leaf)) yield [p + key, leaf];
      if (recursive && leaf instanceof Module) yield* leaf._flatten(true, p + key, seen, predicate);
    }
  }

  *namedParameters(options: { recursive?: boolean; prefix?: string; requiresGrad?: boolean } = {}): Generator<[string, Parameter]> {
    const want = options.requiresGrad;
    yield* this._flatten(
      options.recursive ?? true,
      options.prefix ?? '',
      new Set([this]),
      (x) => x instanceof Parameter && (want === undefined || x.requiresGrad === want),
    ) as Generator<[string, Parameter]>;
  }
  *parameters(options: { recursive?: boolean; requiresGrad?: boolean } = {}): Generator<Parameter> {
    for (const [, p] of this.namedParameters(options)) yield p;
  }
  /** Tensors that are not Parameters (BatchNorm's running statistics…). */
  *namedBuffers(options: { recursive?: boolean; prefix?: string } = {}): Generator<[string, Tensor]> {
    yield* this._flatten(
      options.recursive ?? true,
      options.prefix ?? '',
      new Set([this]),
      (x) => x instanceof Tensor && !(x instanceof Parameter),
    ) as Generator<[string, Tensor]>;
  }
  *buffers(options: { recursive?: boolean } = {}): Generator<Tensor> {
    for (const [, b] of this.namedBuffers(options)) yield b;
  }
  *namedTensors(options: { recursive?: boolean; prefix?: string } = {}): Generator<[string, Tensor]> {
    yield* this._flatten(options.recursive ?? true, options.prefix ?? '', new Set([this]), (x) => x instanceof Tensor) as Generator<
      [string, Tensor]
    >;
  }
  *tensors(options: { recursive?: boolean } = {}): Generator<Tensor> {
    for (const [, t] of this.namedTensors(options)) yield t;
  }
  /** Direct sub-modules. */
  *namedChildren(): Generator<[string, AnyModule]> {
    yield* this._flatten(false, '', new Set([this]), (x) => x instanceof Module) as Generator<[string, AnyModule]>;
  }
  *children(): Generator<AnyModule> {
    for (const [, m] of this.namedChildren()) yield m;
  }
  /** This module and every sub-module, depth first. */
  *namedModules(prefix = ''): Generator<[string, AnyModule]> {
    yield [prefix, this];
    yield* this._flatten(true, prefix, new Set([this]), (x) => x instanceof Module) as Generator<[string, AnyModule]>;
  }
  *modules(): Generator<AnyModule> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /** Sets training mode here and in every sub-module. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** Calls fn on this module and every sub-module, depth first (MegEngine's apply). */
  apply(fn: (module: AnyModule) => void): this {
    if (typeof fn !== 'function') throw new TypeError(`apply: argument 'fn' must be a function, got ${typeof fn}`);
    for (const m of this.modules()) fn(m);
    return this;
  }

  /** Marks every parameter as not needing gradients (GradManager.attach then passes over them). */
  freeze(): this {
    for (const p of this.parameters()) p.requiresGrad = false;
    return this;
  }
  unfreeze(): this {
    for (const p of this.parameters()) p.requiresGrad = true;
    return this;
  }

  /** Number of scalar values held by the parameters (only trainable ones with `trainableOnly`). */
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!options.trainableOnly || p.requiresGrad) n += p.size;
    return n;
  }

  /**
   * Weight surgery: puts `value` where the tensor named `name` (a stateDict key) is, e.g. a
   * shared Parameter for weight tying, or a plain Tensor to make a weight a constant.
   * Returns the tensor that was there.
   */
  replaceParamWithTensor(name: string, value: Tensor): Tensor {
    if (!(value instanceof Tensor))
      throw new TypeError(`replaceParamWithTensor: argument 'value' must be a Tensor, got ${value === null ? 'null' : typeof value}`);
    const current = new Map(this.namedTensors()).get(name);
    if (!current) throw new Error(`replaceParamWithTensor: argument 'name' must name a tensor of the module, got '${name}'`);
    if (!shapesEqual(current.shape, value.shape)) {
      throw new Error(
        `replaceParamWithTensor: '${name}' has shape ${shapeToString(current.shape)}, got a value of shape ${shapeToString(value.shape)}`,
      );
    }
    const parts = name.split('.');
    let owner: unknown = this;
    for (const key of parts.slice(0, -1)) owner = owner instanceof Map ? owner.get(key) : (owner as Record<string, unknown>)[key];
    const last = parts[parts.length - 1];
    if (owner instanceof Map) owner.set(last, value);
    else (owner as Record<string, unknown>)[last] = value;
    return current;
  }

  /** Sets every parameter's .grad to null. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Names → tensors: this module's own tensors (sorted) first, then each child's under its name. */
  stateDict(prefix = '', into: StateDict = new StateDict()): StateDict {
    for (const [k, t] of this._flatten(false, '', new Set([this]), (x) => x instanceof Tensor)) {
      into.set(prefix + k, (t as Tensor).detach());
    }
    for (const [k, m] of this.namedChildren()) m.stateDict(`${prefix}${k}.`, into);
    return into;
  }

  /**
   * Loads values by name. With `strict` (default), a missing or unused key is an
   * error naming it. A closure `(key, tensor) => value | undefined` may supply values.
   * Shapes must match, except that size-1 axes may differ ((C,) loads into (1,C,1,1)).
   * A tensor of another dtype is an error unless `cast` is true. Every value is read,
   * moved and converted before the first tensor is written: an error changes nothing.
   */
  loadStateDict(
    stateDict: StateDictLike | ((key: string, current: Tensor) => Tensor | ArrayLike<number> | undefined | null),
    options: { strict?: boolean; cast?: boolean } = {},
  ): this {
    const strict = options.strict ?? true;
    const own = [...this.namedTensors()];
    const supplied = typeof stateDict === 'function' ? null : new Map(entriesOf(stateDict));
    const updates: [string, Tensor, Tensor][] = [];
    const missing: string[] = [];
    for (const [key, current] of own) {
      const raw = supplied ? supplied.get(key) : stateDict instanceof Function ? stateDict(key, current) : undefined;
      if (raw === undefined || raw === null) {
        missing.push(key);
        continue;
      }
      const value =
        raw instanceof Tensor ? raw : tensor(raw as Float32Array, { shape: current.shape, dtype: current.dtype, device: current.device });
      const squeezed = (s: readonly number[]) => s.filter((d) => d !== 1);
      if (
        !shapesEqual(value.shape, current.shape) &&
        !(value.size === current.size && shapesEqual(squeezed(value.shape), squeezed(current.shape)))
      ) {
        throw new Error(`loadStateDict: key '${key}' expects shape ${shapeToString(current.shape)}, got ${shapeToString(value.shape)}`);
      }
      if (value.dtype !== current.dtype && !options.cast) {
        throw new TypeError(
          `loadStateDict: key '${key}' holds ${value.dtype} values but the module's tensor is ${current.dtype}; pass { cast: true } to convert`,
        );
      }
      if (value.isDisposed) throw new Error(`loadStateDict: the value of key '${key}' was disposed`);
      updates.push([key, current, value]);
    }
    if (strict) {
      if (missing.length) throw new Error(`loadStateDict: missing keys: ${missing.join(', ')}`);
      if (supplied) {
        const known = new Set(own.map(([k]) => k));
        const unused = [...supplied.keys()].filter((k) => !known.has(k));
        if (unused.length) throw new Error(`loadStateDict: unused keys (not in the module): ${unused.join(', ')}`);
      }
    }
    // all checked and converted (a device that cannot be read synchronously fails here); only then written
    const ready = noGrad(() => updates.map(([key, current, value]) => [current, converted(key, current, value)] as const));
    for (const [current, v] of ready) current._reset(v);
    return this;
  }

  /** One line describing this layer's own settings, as in MegEngine's repr. */
  protected extraRepr(): string {
    return '';
  }

  toString(): string {
    const children = [...this.namedChildren()];
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (children.length === 0) return `${head})`;
    const lines = children.map(([k, m]) => `  (${k}): ${m.toString().split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
  [INSPECT](): string {
    return this.toString();
  }
}

/** `value` on `current`'s device, dtype and shape; errors name the key. */
function converted(key: string, current: Tensor, value: Tensor): Tensor {
  try {
    let v = value.device === current.device ? value : value.to(current.device);
    v = v.dtype === current.dtype ? v : v.astype(current.dtype);
    return v.reshape(current.shape);
  } catch (e) {
    throw new Error(`loadStateDict: key '${key}': ${(e as Error).message}; nothing was loaded`, { cause: e });
  }
}

function* expand(key: string, value: unknown, depth: number): Generator<[string, Leaf]> {
  if (value instanceof Tensor || value instanceof Module) {
    yield [key, value];
  } else if (Array.isArray(value) && depth < 8) {
    for (let i = 0; i < value.length; i++) yield* expand(`${key}.${i}`, value[i], depth + 1);
  } else if (value instanceof Map && depth < 8) {
    for (const k of [...value.keys()].sort()) yield* expand(`${key}.${String(k)}`, value.get(k), depth + 1);
  } else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype && depth < 8) {
    for (const k of Object.keys(value).sort()) yield* expand(`${key}.${k}`, (value as Record<string, unknown>)[k], depth + 1);
  }
}
