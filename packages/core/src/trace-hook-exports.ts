export { nextTensorId, wrap } from './tensor.js';
export { type KernelCall, type OpRecorder, opRecorder, setOpRecorder } from './trace-hook.js';
