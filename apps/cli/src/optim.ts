import type { Parameter } from '@mge/core';
import { Adam, type Optimizer, type OptimizerStateDict, SGD } from '@mge/optimizer';
import { CliError } from './errors.js';

export const OPTIMIZERS = ['sgd', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Learning rates used when --lr is not given. */
export const DEFAULT_LR: Record<OptimizerName, number> = { sgd: 0.02, adam: 0.001 };

export interface OptimizerSettings {
  lr: number;
  momentum: number;
  weightDecay: number;
}

export function createOptimizer(name: OptimizerName, params: Iterable<Parameter>, s: OptimizerSettings): Optimizer {
  const list = [...params];
  if (name === 'sgd') return new SGD(list, { lr: s.lr, momentum: s.momentum, weightDecay: s.weightDecay });
  return new Adam(list, { lr: s.lr, weightDecay: s.weightDecay });
}

/**
 * Restores momentum buffers / moments and step counts saved by `writeCheckpoint`, then
 * applies this run's settings (a flag such as --lr given with --resume wins over the file).
 */
export function restoreOptimizer(command: string, opt: Optimizer, state: unknown, path: string, s: OptimizerSettings): void {
  if (state === undefined) throw new CliError(`mge ${command}: '${path}' has no optimizer state to resume from`);
  try {
    opt.loadStateDict(state as OptimizerStateDict);
  } catch (e) {
    throw new CliError(`mge ${command}: cannot restore the optimizer state from '${path}': ${(e as Error).message}`);
  }
  for (const g of opt.paramGroups as unknown as Record<string, unknown>[]) {
    g.lr = s.lr;
    g.initialLr = s.lr;
    if ('momentum' in g) g.momentum = s.momentum;
    if ('weightDecay' in g) g.weightDecay = s.weightDecay;
  }
}
