export { OPSET, type ToOnnxOptions, toOnnx } from './writer.js';
