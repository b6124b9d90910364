import './start.js';

export * from '@mge/jit';
// MegEngine's traced.dump(file), as jit.dump(traced, file): ONNX (@mge/onnx)
export { dump } from '@mge/onnx';
