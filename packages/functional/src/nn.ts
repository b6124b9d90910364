/** MegEngine's F.nn alias namespace. */
export * from './activation.js';
export * from './conv.js';
export * from './conv-local.js';
export * from './conv-nd.js';
export * from './conv-transpose.js';
export * from './dropout.js';
export * from './loss.js';
export * from './metric.js';
export * from './normalization.js';
export * from './normalization-layers.js';
export { oneHot } from './onehot.js';
export * from './pad.js';
export * from './pooling.js';
export * from './pooling-adaptive.js';
export * from './sliding-window.js';
export { interpolate, pixelShuffle } from './vision.js';
