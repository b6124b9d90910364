import { registerDumper } from '@mge/jit';
import { dump } from './dump.js';

export { type Dumpable, type DumpOptions, dump, toOnnxBytes } from './dump.js';
export { EXEC, type Exec } from './exec.js';
export { OnnxModel, type RunOptions, runGraph } from './model.js';
export { type LoadOnnxOptions, loadOnnx, parseOnnx } from './reader.js';
export { OPSET, type ToOnnxOptions, toOnnx } from './writer.js';

// importing this package makes `traced.dump(file)` (@mge/jit) write ONNX
registerDumper((traced, file, options) => dump(traced, file, options));
