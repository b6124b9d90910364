import './tensor-methods.js';
import { provideOperators } from './autograd/operators.js';
import { JsBackend } from './backends/js/index.js';
import * as operators from './ops/index.js';
import { registerBackend } from './registry.js';

provideOperators(operators);
registerBackend('js', () => new JsBackend(), 100);

export { autodiff } from './autograd/function.js';
export { type AttachOptions, type GradCallback, GradManager, getBackwardingGradManager } from './autograd/grad-manager.js';
export { noGrad } from './autograd/tape.js';
export * from './backend.js';
export { JsBackend } from './backends/js/index.js';
export * from './dtype.js';
export {
  BINARY,
  BINARY_ROWS,
  type BinaryRow,
  binaryReference,
  UNARY,
  UNARY_ROWS,
  type UnaryRow,
  unaryReference,
} from './elementwise/table.js';
export * from './io/index.js';
export { checkAllocation, checkInt32Arg, MAX_ELEMENTS } from './limits.js';
export { LiveBuffers } from './live-buffers.js';
export { memory } from './memory.js';
export * from './ops/index.js';
export { variance as var } from './ops/reduce.js';
export { Parameter } from './parameter.js';
export { formatArray, formatFloats } from './print.js';
export { random } from './random.js';
export {
  availableDevices,
  type BackendFactory,
  type BackendOptions,
  type DeviceInfo,
  deviceInfo,
  getBackend,
  getDefaultDevice,
  ready,
  registerBackend,
  resetDefaultDevice,
  setDefaultDevice,
} from './registry.js';
export * from './shape.js';
export { type CollectionWatcher, hasCollectionWatcher, reclaimCollected, setCollectionWatcher } from './storage.js';
export { type NestedArray, Tensor } from './tensor.js';
export { clip } from './tensor-methods.js';
export { keep, tidy } from './tidy.js';
/** @internal For @mge/jit: the recording hook and the raw tensor constructor replay needs. */
export * as _trace from './trace-hook-exports.js';
