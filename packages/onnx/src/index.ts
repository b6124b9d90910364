export { type Dumpable, type DumpOptions, dump, toOnnxBytes } from './dump.js';
export { EXEC, type Exec } from './exec.js';
export { OnnxModel, type RunOptions, runGraph } from './model.js';
export { type LoadOnnxOptions, loadOnnx, parseOnnx } from './reader.js';
export { OPSET, type ToOnnxOptions, toOnnx } from './writer.js';
