/**
 * MegEngine hub checkpoints: Python MegEngine writes snake_case names (`layer1.0.bn1.running_mean`,
 * `branch_main.0.weight`); the zoo's modules carry the same names in camelCase.
 */
import { loadPickleStateDict, type Tensor } from '@mge/core';
import type { AnyModule } from '@mge/module';

/**
 * `first_conv.0.running_mean` → `firstConv.0.runningMean`; a leading underscore (MegEngine's
 * private-by-convention `_flatten_weights` of RNN/LSTM) is dropped: `flattenWeights`.
 */
export function megengineKey(key: string): string {
  if (typeof key !== 'string') throw new TypeError(`megengineKey: argument 'key' must be a string, got ${typeof key}`);
  return key
    .split('.')
    .map((part) => part.replace(/^_+(?=[a-z])/, '').replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()))
    .join('.');
}

export interface MegEngineLoadOptions {
  /** Missing or unused keys are errors (default true). */
  strict?: boolean;
  /** Names the data in error messages, e.g. the file path. */
  source?: string;
}

/**
 * Loads a MegEngine `.pkl` state dict (the bytes of `mge.save(model.state_dict(), f)`) or an
 * already-read Map into a zoo model, renaming keys to camelCase. Shapes follow loadStateDict
 * (a (C,) vector loads into (1, C, 1, 1)).
 */
export function loadMegEngineStateDict<M extends AnyModule>(
  model: M,
  state: Uint8Array | ArrayBuffer | Map<string, Tensor>,
  options: MegEngineLoadOptions = {},
): M {
  const raw = state instanceof Map ? state : loadPickleStateDict(state, { source: options.source });
  const renamed = new Map<string, Tensor>();
  for (const [k, v] of raw) {
    const ours = megengineKey(k);
    if (renamed.has(ours)) throw new Error(`loadMegEngineStateDict: keys '${k}' and another both map to '${ours}'`);
    renamed.set(ours, v);
  }
  return model.loadStateDict(renamed, { strict: options.strict ?? true });
}
