export { Adam, type AdamOptions, AdamW } from './adam.js';
export { CosineAnnealingLR, LinearWarmup, LRScheduler, MultiStepLR, type SchedulerStateDict } from './lr-scheduler.js';
export {
  type BaseOptions,
  type HyperValue,
  Optimizer,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type ParamsInput,
} from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
