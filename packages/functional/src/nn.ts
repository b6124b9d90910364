/** MegEngine's F.nn alias namespace. */
export * from './activation.js';
export * from './activation-extra.js';
export * from './attention.js';
export * from './conv.js';
export * from './ctc.js';
export * from './dropout.js';
export * from './dropout-variants.js';
export * from './indexing.js';
export * from './loss.js';
export * from './loss-extra.js';
export * from './metric.js';
export * from './normalization.js';
export { oneHot } from './onehot.js';
export * from './pooling.js';
export * from './recurrent.js';
