export { CheckpointError } from './errors.js';
export { load, save } from './node.js';
export { loadPickleStateDict, type PickleLoadOptions } from './pickle-state-dict.js';
export {
  Checkpoint,
  type CheckpointInput,
  type DeserializeOptions,
  deserialize,
  type SerializeOptions,
  type StateDict,
  serialize,
  serializeAsync,
} from './safetensors.js';
export type { Nested } from './tree.js';
