/**
 * @mge/distributed — megengine.distributed on MPI: the process group, collectives on tensors, the
 * all-reduce GradManager callback, parameter broadcast and a distributed sampler. Importing it
 * never needs MPI; using it without the addon throws an error that says what to install.
 */
import * as functional from './functional.js';

export {
  type AllreduceCallback,
  type AllreduceCbOptions,
  type AllreduceStats,
  bcastListToRank0,
  broadcastParameters,
  makeAllreduceCb,
} from './grad.js';
export { Group, newGroup, WORLD } from './group.js';
export { addonPath, mpiAvailable } from './native.js';
export { DistributedSampler, type DistributedSamplerOptions } from './sampler.js';
export { convertSyncBatchNorm, SyncBatchNorm } from './sync-batchnorm.js';
export { abort, barrier, getRank, getWorldSize, init, isDistributed, launchedByMpi, setCollectiveTimeout } from './world.js';
export { functional };
