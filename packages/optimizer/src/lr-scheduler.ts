import { describe, Optimizer } from './optimizer.js';

/** What a scheduler's `stateDict()` holds: its epoch counter and its settings. */
export interface SchedulerStateDict {
  [key: string]: number | readonly number[] | SchedulerStateDict;
}

/**
 * Base of the learning-rate schedulers (MegEngine's `LRScheduler`). Construction records
 * each group's `initialLr` and applies epoch 0; each `step()` moves to the next epoch
 * and writes `getLr()` into the groups. Schedules are closed-form in the epoch, so
 * `step(epoch)` can jump anywhere and wrappers can scale the result.
 */
export abstract class LRScheduler {
  currentEpoch: number;
  readonly baseLrs: number[];

  protected constructor(
    protected readonly name: string,
    readonly optimizer: Optimizer,
    currentEpoch = -1,
  ) {
    if (!(optimizer instanceof Optimizer))
      throw new TypeError(`${name}: argument 'optimizer' must be an Optimizer, got ${describe(optimizer)}`);
    if (!Number.isInteger(currentEpoch) || currentEpoch < -1)
      throw new RangeError(`${name}: argument 'currentEpoch' must be an integer >= -1, got ${describe(currentEpoch)}`);
    this.currentEpoch = currentEpoch;
    optimizer.paramGroups.forEach((g, i) => {
      if (currentEpoch === -1) g.initialLr ??= g.lr;
      else if (g.initialLr === undefined)
        throw new Error(
          `${name}: paramGroups[${i}] has no 'initialLr'; resuming at epoch ${currentEpoch} needs the optimizer state of the run being resumed`,
        );
    });
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
  }

  /** The learning rate of each group at `epoch`. */
  abstract lrAt(epoch: number): number[];

  /** The learning rates for the current epoch (MegEngine's `get_lr`). */
  getLr(): number[] {
    return this.lrAt(this.currentEpoch);
  }

  /** Moves to the next epoch (or to `epoch`) and sets each group's lr. */
  step(epoch?: number): this {
    if (epoch !== undefined && (!Number.isInteger(epoch) || epoch < 0))
      throw new RangeError(`${this.name}.step: argument 'epoch' must be a non-negative integer, got ${describe(epoch)}`);
    this.currentEpoch = epoch ?? this.currentEpoch + 1;
    this.getLr().forEach((lr, i) => {
      this.optimizer.paramGroups[i].lr = lr;
    });
    return this;
  }

  stateDict(): SchedulerStateDict {
    return { currentEpoch: this.currentEpoch };
  }

  /** Restores the epoch counter (and settings) and re-applies that epoch's learning rates. */
  loadStateDict(state: SchedulerStateDict): this {
    const e = state?.currentEpoch;
    if (typeof e !== 'number' || !Number.isInteger(e) || e < 0)
      throw new TypeError(`${this.name}.loadStateDict: 'currentEpoch' must be a non-negative integer, got ${describe(e)}`);
    return this.step(e);
  }
}

function checkNumber(name: string, arg: string, v: unknown, min = 0): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min)
    throw new RangeError(`${name}: argument '${arg}' must be a number >= ${min}, got ${describe(v)}`);
}

/** Multiplies each group's initial lr by `gamma` once per milestone passed (MegEngine's MultiStepLR). */
export class MultiStepLR extends LRScheduler {
  readonly milestones: readonly number[];
  constructor(
    optimizer: Optimizer,
    milestones: readonly number[],
    readonly gamma = 0.1,
    currentEpoch = -1,
  ) {
    super('MultiStepLR', optimizer, currentEpoch);
    if (!Array.isArray(milestones) || !milestones.every((m, i) => Number.isInteger(m) && m >= 0 && (i === 0 || m > milestones[i - 1]))) {
      throw new RangeError(`MultiStepLR: argument 'milestones' must be increasing non-negative integers, got ${describe(milestones)}`);
    }
    checkNumber('MultiStepLR', 'gamma', gamma);
    this.milestones = [...milestones];
    this.step();
  }
  lrAt(epoch: number): number[] {
    const passed = this.milestones.filter((m) => m <= epoch).length;
    return this.baseLrs.map((lr) => lr * this.gamma ** passed);
  }
  override stateDict(): SchedulerStateDict {
    return { currentEpoch: this.currentEpoch, milestones: this.milestones, gamma: this.gamma };
  }
}

/** Cosine from each group's initial lr down to `etaMin` over `tMax` epochs (closed form, as in SGDR without restarts). */
export class CosineAnnealingLR extends LRScheduler {
  constructor(
    optimizer: Optimizer,
    readonly tMax: number,
    readonly etaMin = 0,
    currentEpoch = -1,
  ) {
    super('CosineAnnealingLR', optimizer, currentEpoch);
    if (!Number.isInteger(tMax) || tMax < 1)
      throw new RangeError(`CosineAnnealingLR: argument 'tMax' must be a positive integer, got ${describe(tMax)}`);
    checkNumber('CosineAnnealingLR', 'etaMin', etaMin);
    this.step();
  }
  lrAt(epoch: number): number[] {
    return this.baseLrs.map((lr) => this.etaMin + ((lr - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2);
  }
  override stateDict(): SchedulerStateDict {
    return { currentEpoch: this.currentEpoch, tMax: this.tMax, etaMin: this.etaMin };
  }
}

/** The lr stays at the initial value: what LinearWarmup wraps when given an optimizer. */
class ConstantLR extends LRScheduler {
  constructor(optimizer: Optimizer) {
    super('LinearWarmup', optimizer);
    this.step();
  }
  lrAt(): number[] {
    return [...this.baseLrs];
  }
}

/**
 * Linear warm-up in front of another schedule: for the first `warmupSteps` epochs each
 * lr is the wrapped schedule's lr times a factor rising linearly from `startFactor` to 1;
 * after that it is the wrapped schedule's lr. Stepping the warm-up steps the wrapped
 * scheduler too. Given an optimizer instead of a scheduler, it warms up to the constant lr.
 */
export class LinearWarmup extends LRScheduler {
  readonly inner: LRScheduler;
  constructor(
    schedulerOrOptimizer: LRScheduler | Optimizer,
    readonly warmupSteps: number,
    readonly startFactor = 0.1,
  ) {
    const inner = schedulerOrOptimizer instanceof Optimizer ? new ConstantLR(schedulerOrOptimizer) : schedulerOrOptimizer;
    if (!(inner instanceof LRScheduler))
      throw new TypeError(
        `LinearWarmup: argument 'scheduler' must be an LRScheduler or an Optimizer, got ${describe(schedulerOrOptimizer)}`,
      );
    super('LinearWarmup', inner.optimizer, inner.currentEpoch - 1);
    if (!Number.isInteger(warmupSteps) || warmupSteps < 0)
      throw new RangeError(`LinearWarmup: argument 'warmupSteps' must be a non-negative integer, got ${describe(warmupSteps)}`);
    if (typeof startFactor !== 'number' || !(startFactor >= 0 && startFactor <= 1))
      throw new RangeError(`LinearWarmup: argument 'startFactor' must be in [0, 1], got ${describe(startFactor)}`);
    this.inner = inner;
    this.step();
  }
  factor(epoch: number): number {
    if (epoch >= this.warmupSteps) return 1;
    return this.startFactor + ((1 - this.startFactor) * epoch) / this.warmupSteps;
  }
  lrAt(epoch: number): number[] {
    const f = this.factor(epoch);
    return this.inner.lrAt(epoch).map((lr) => lr * f);
  }
  override step(epoch?: number): this {
    // Undefined only while the base constructor runs; the wrapped scheduler moves in step with the warm-up.
    this.inner?.step(epoch ?? this.currentEpoch + 1);
    return super.step(epoch);
  }
  override stateDict(): SchedulerStateDict {
    return { currentEpoch: this.currentEpoch, warmupSteps: this.warmupSteps, startFactor: this.startFactor, inner: this.inner.stateDict() };
  }
}
