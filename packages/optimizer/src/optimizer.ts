import { keep, type Nested, noGrad, Parameter, shapeToString, type Tensor, tidy } from '@mge/core';

/** Hyper-parameter values a group may hold. */
export type HyperValue = number | boolean | readonly number[];

/** The options every optimizer has. */
export interface BaseOptions {
  lr: number;
}

/** One parameter group: its parameters and its own copy of every option (MegEngine's `param_groups[i]`). */
export type ParamGroup<O extends BaseOptions = BaseOptions> = O & {
  params: Parameter[];
  /** Set by an LR scheduler: the lr the schedule starts from. */
  initialLr?: number;
};

/** A group as given to the constructor: options missing here come from the optimizer's defaults. */
export type ParamGroupInput<O extends BaseOptions = BaseOptions> = Partial<O> & { params: Parameter | Iterable<Parameter> };

export type ParamsInput<O extends BaseOptions = BaseOptions> = Parameter | Iterable<Parameter> | Iterable<ParamGroupInput<O>>;

/** Per-parameter state: buffers as tensors, counters as numbers. */
export type ParamState = Record<string, Tensor | number>;

/**
 * MegEngine's `state_dict()` of an optimizer: per-group options with parameters
 * replaced by their index (counted across groups in order), and the state by that index.
 */
export type OptimizerStateDict = {
  paramGroups: (Record<string, HyperValue> & { params: number[] })[];
  state: Record<number, ParamState>;
};

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (x instanceof Parameter) return `a Parameter of shape ${shapeToString(x.shape)}`;
  if (typeof x === 'object' && 'shape' in x && 'dtype' in x)
    return `a Tensor of shape ${shapeToString((x as Tensor).shape)} (not a Parameter)`;
  if (Array.isArray(x)) return `[${x.join(', ')}]`;
  if (typeof x === 'object')
    return (x.constructor?.name ?? 'an object') === 'Object' ? 'a plain object' : (x.constructor?.name ?? 'an object');
  return `${typeof x} ${String(x)}`;
}

function isIterable(x: unknown): x is Iterable<unknown> {
  return x !== null && typeof x === 'object' && typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/**
 * Base class of the optimizers (MegEngine's `megengine.optimizer.Optimizer`). Holds the
 * parameter groups and per-parameter state; `step()` applies `update` to every parameter
 * that has a gradient, in place and outside autograd.
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  readonly paramGroups: ParamGroup<O>[] = [];
  /** @internal Per-parameter state (momentum buffers, moments, step counts). */
  protected readonly state = new Map<Parameter, ParamState>();
  private readonly defaults: Partial<O>;

  protected constructor(
    /** The class name used in error messages. */
    protected readonly name: string,
    params: ParamsInput<O>,
    defaults: Partial<O>,
  ) {
    if (defaults === null || typeof defaults !== 'object')
      throw new TypeError(`${name}: argument 'options' must be an object, got ${describe(defaults)}`);
    this.defaults = { ...defaults };
    for (const [k, v] of Object.entries(this.defaults)) if (v !== undefined) this.checkOption(k, v as HyperValue, 'option');
    let items: unknown[];
    if (params instanceof Parameter) items = [params];
    else if (isIterable(params)) items = [...params];
    else
      throw new TypeError(
        `${name}: argument 'params' must be a Parameter, an iterable of Parameters or of parameter groups, got ${describe(params)}`,
      );
    if (items.length === 0) throw new Error(`${name}: argument 'params' is empty; pass model.parameters() or parameter groups`);
    const grouped =
      items[0] !== null && typeof items[0] === 'object' && !(items[0] instanceof Parameter) && 'params' in (items[0] as object);
    if (grouped) for (const [i, g] of items.entries()) this.addParamGroup(g as ParamGroupInput<O>, i);
    else this.addParamGroup({ params: items as Parameter[] } as unknown as ParamGroupInput<O>, null);
  }

  /** Checks one option's value; `where` is "option" or "paramGroups[i] option". */
  protected checkOption(key: string, value: HyperValue, where: string): void {
    if (key === 'lr' && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw new RangeError(`${this.name}: ${where} 'lr' must be a non-negative number, got ${describe(value)}`);
    }
  }

  /** Checks a complete group (options that depend on each other). */
  protected checkGroup(_group: ParamGroup<O>, _where: string): void {}

  /** Creates the state of a newly added parameter (MegEngine's `_create_state`). */
  protected abstract initState(param: Parameter, group: ParamGroup<O>): ParamState;

  /** Computes the new value of `param` from its gradient and updates `state` in place. */
  protected abstract update(param: Parameter, grad: Tensor, state: ParamState, group: ParamGroup<O>): Tensor;

  /**
   * Adds a group (MegEngine's `add_param_group`); options it lacks are taken from the
   * optimizer's defaults.
   */
  addParamGroup(input: ParamGroupInput<O>, index: number | null = this.paramGroups.length): this {
    const where = index === null ? 'option' : `paramGroups[${index}] option`;
    const at = (i: number) => (index === null ? `params[${i}]` : `paramGroups[${index}].params[${i}]`);
    if (input === null || typeof input !== 'object' || !('params' in input)) {
      throw new TypeError(`${this.name}: paramGroups[${index}] must be an object with 'params', got ${describe(input)}`);
    }
    const raw = input.params instanceof Parameter ? [input.params] : isIterable(input.params) ? [...input.params] : null;
    if (!raw)
      throw new TypeError(
        `${this.name}: ${index === null ? "'params'" : `paramGroups[${index}].params`} must be a Parameter or an iterable of Parameters, got ${describe(input.params)}`,
      );
    if (raw.length === 0) throw new Error(`${this.name}: ${index === null ? "'params'" : `paramGroups[${index}].params`} is empty`);
    const seen = new Set<Parameter>();
    raw.forEach((p, i) => {
      if (!(p instanceof Parameter)) throw new TypeError(`${this.name}: ${at(i)} must be a Parameter, got ${describe(p)}`);
      if (p.dtype !== 'float32') throw new TypeError(`${this.name}: ${at(i)} must be float32, got ${p.dtype}`);
      if (seen.has(p)) throw new Error(`${this.name}: ${at(i)} (shape ${shapeToString(p.shape)}) appears twice in the same group`);
      seen.add(p);
      const other = this.paramGroups.findIndex((g) => g.params.includes(p));
      if (other >= 0)
        throw new Error(
          `${this.name}: ${at(i)} (shape ${shapeToString(p.shape)}) is already in paramGroups[${other}]; a parameter may be in one group only`,
        );
    });
    const group = { ...this.defaults } as Record<string, unknown>;
    for (const [k, v] of Object.entries(input)) {
      if (k === 'params' || v === undefined) continue;
      this.checkOption(k, v as HyperValue, where);
      group[k] = v;
    }
    if (group.lr === undefined) {
      throw new TypeError(
        `${this.name}: option 'lr' is required (a non-negative number), got undefined${index === null ? '' : ` for paramGroups[${index}]`}`,
      );
    }
    group.params = raw as Parameter[];
    const g = group as unknown as ParamGroup<O>;
    this.checkGroup(g, index === null ? 'option' : `paramGroups[${index}]`);
    this.paramGroups.push(g);
    for (const p of g.params) this.state.set(p, this.initState(p, g));
    return this;
  }

  /** Updates every parameter that has a gradient; returns the optimizer so `opt.step().clearGrad()` chains. */
  step(): this {
    noGrad(() =>
      tidy(() => {
        for (const group of this.paramGroups) {
          for (const p of group.params) {
            if (!p.grad) continue;
            if (p.grad.shape.length !== p.shape.length || p.grad.shape.some((d, i) => d !== p.shape[i])) {
              throw new Error(
                `${this.name}.step: the gradient of a parameter of shape ${shapeToString(p.shape)} has shape ${shapeToString(p.grad.shape)}`,
              );
            }
            p._reset(this.update(p, p.grad, this.state.get(p)!, group));
          }
        }
      }),
    );
    return this;
  }

  /** Sets every parameter's `.grad` to null (MegEngine's `clear_grad`); chains. */
  clearGrad(): this {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
    return this;
  }

  /** Replaces a state buffer's value in place (kept past step()'s tidy). */
  protected static assign(target: Tensor, value: Tensor): void {
    target._reset(value);
    keep(target);
  }

  /** The options and state, with parameters as indices (MegEngine's `state_dict`). */
  stateDict(): OptimizerStateDict {
    const index = new Map<Parameter, number>();
    for (const g of this.paramGroups) for (const p of g.params) index.set(p, index.size);
    const state: Record<number, ParamState> = {};
    for (const [p, st] of this.state) state[index.get(p)!] = { ...st };
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...opts } = g as ParamGroup<O> & Record<string, HyperValue>;
      return { ...(opts as Record<string, HyperValue>), params: params.map((p) => index.get(p)!) };
    });
    return { paramGroups, state };
  }

  /**
   * Restores options and state saved by `stateDict()` (from this run or a checkpoint).
   * Groups and parameters are matched by position; shapes must agree. Nothing changes
   * if any check fails. Accepts the nested value a checkpoint gives back
   * (`opt.loadStateDict(ckpt.nested.optimizer)`).
   */
  loadStateDict(state: OptimizerStateDict | Nested): this {
    const sd = state as OptimizerStateDict;
    const op = `${this.name}.loadStateDict`;
    if (sd === null || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || sd.state === null || typeof sd.state !== 'object') {
      throw new TypeError(`${op}: expected {paramGroups: [...], state: {...}}, got ${describe(sd)}`);
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${op}: the state has ${sd.paramGroups.length} parameter groups, the optimizer has ${this.paramGroups.length}`);
    }
    const newState = new Map<Parameter, ParamState>();
    const newOptions: Record<string, HyperValue>[] = [];
    sd.paramGroups.forEach((saved, gi) => {
      const group = this.paramGroups[gi];
      if (!saved || !Array.isArray(saved.params)) throw new TypeError(`${op}: paramGroups[${gi}].params must be an array of indices`);
      if (saved.params.length !== group.params.length) {
        throw new Error(
          `${op}: paramGroups[${gi}] has ${saved.params.length} parameters in the state, ${group.params.length} in the optimizer`,
        );
      }
      const { params: _p, ...opts } = saved;
      const have = Object.keys(group)
        .filter((k) => k !== 'params' && k !== 'initialLr')
        .sort();
      const got = Object.keys(opts)
        .filter((k) => k !== 'initialLr')
        .sort();
      if (have.join() !== got.join())
        throw new Error(`${op}: paramGroups[${gi}] has options [${got.join(', ')}], expected [${have.join(', ')}]`);
      for (const [k, v] of Object.entries(opts)) this.checkOption(k, v as HyperValue, `paramGroups[${gi}] option`);
      newOptions.push(opts as Record<string, HyperValue>);
      saved.params.forEach((idx, pi) => {
        const p = group.params[pi];
        const st = (sd.state as Record<string, ParamState | undefined>)[String(idx)];
        const expected = this.state.get(p)!;
        if (!st || typeof st !== 'object') throw new Error(`${op}: no state for parameter index ${idx} (paramGroups[${gi}].params[${pi}])`);
        const keysHave = Object.keys(expected).sort().join();
        const keysGot = Object.keys(st).sort().join();
        if (keysHave !== keysGot) throw new Error(`${op}: state of parameter ${idx} has [${keysGot}], expected [${keysHave}]`);
        const copy: ParamState = {};
        for (const [k, v] of Object.entries(st)) {
          const cur = expected[k];
          if (typeof cur === 'number') {
            if (typeof v !== 'number' || !Number.isFinite(v))
              throw new TypeError(`${op}: state ${idx}.${k} must be a number, got ${describe(v)}`);
            copy[k] = v;
          } else {
            const t = v as Tensor;
            if (typeof t !== 'object' || !('shape' in t))
              throw new TypeError(`${op}: state ${idx}.${k} must be a Tensor, got ${describe(v)}`);
            if (shapeToString(t.shape) !== shapeToString(cur.shape)) {
              throw new Error(
                `${op}: state ${idx}.${k} has shape ${shapeToString(t.shape)}, but parameter paramGroups[${gi}].params[${pi}] has ${shapeToString(cur.shape)}`,
              );
            }
            // A copy on the parameter's device, so later in-place updates never touch the caller's tensors.
            copy[k] = noGrad(() => (t.device === p.device ? t : t.to(p.device)).add(0));
          }
        }
        newState.set(p, copy);
      });
    });
    for (const [gi, opts] of newOptions.entries()) this.checkGroup({ ...this.paramGroups[gi], ...opts }, `paramGroups[${gi}]`);
    for (const [gi, opts] of newOptions.entries()) Object.assign(this.paramGroups[gi], opts);
    for (const [p, st] of newState) this.state.set(p, st);
    return this;
  }
}
