/** MegEngine's F.nn alias namespace. */
export * from './activation.js';
export * from './conv.js';
export * from './dropout.js';
export * from './loss.js';
export * from './metric.js';
export * from './normalization.js';
export { oneHot } from './onehot.js';
export * from './pooling.js';
