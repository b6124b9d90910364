export { ConvReLU, TwoLayerConv } from './conv-relu.js';
export { LeNet } from './lenet.js';
export { createModel, zoo, type ZooEntry } from './registry.js';
export { formatSummary, type LayerSummary, type ModelSummary, summarize } from './summary.js';
