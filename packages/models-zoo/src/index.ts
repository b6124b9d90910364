export { ConvReLU, TwoLayerConv } from './conv-relu.js';
export { LeNet } from './lenet.js';
export { loadMegEngineStateDict, type MegEngineLoadOptions, megengineKey } from './megengine-weights.js';
export { InvertedResidual, MobileNetV2, type MobileNetV2Options, mobilenetV2 } from './mobilenet.js';
export { createModel, type ZooEntry, zoo } from './registry.js';
export { BasicBlock, Bottleneck, ResNet, type ResNetOptions, resnet18, resnet34, resnet50, resnet101 } from './resnet.js';
export {
  channelShuffle,
  ShuffleNetV2,
  type ShuffleNetV2Options,
  type ShuffleNetV2Size,
  ShuffleV2Block,
  shufflenetV2X05,
  shufflenetV2X10,
  shufflenetV2X15,
  shufflenetV2X20,
} from './shufflenet.js';
export { formatSummary, type LayerSummary, type ModelSummary, summarize } from './summary.js';
export { CharGPT, type CharGPTOptions, GPTBlock } from './transformer-gpt.js';
export { CausalSelfAttention } from './transformer-layers.js';
