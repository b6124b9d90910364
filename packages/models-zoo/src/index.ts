export { ConvReLU, TwoLayerConv } from './conv-relu.js';
export { LeNet } from './lenet.js';
export { createModel, type ZooEntry, zoo } from './registry.js';
export { formatSummary, type LayerSummary, type ModelSummary, summarize } from './summary.js';
