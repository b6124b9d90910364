import './start.js';

export * from '@mge/jit';
// MegEngine's traced.dump(file) (@mge/onnx, imported here, registers it), also as jit.dump(traced, file)
export { dump } from '@mge/onnx';
