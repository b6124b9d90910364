export { type Dumpable, type DumpOptions, dump, toOnnxBytes } from './dump.js';
export { EXEC, type Exec } from './exec.js';
export { type LoadOnnxOptions, loadOnnx, OnnxModel, parseOnnx, type RunOptions, runGraph } from './reader.js';
export { OPSET, type ToOnnxOptions, toOnnx } from './writer.js';
