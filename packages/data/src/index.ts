// Browser-safe entry of @mge/data: nothing here touches node:fs. Node-only loaders: '@mge/data/node'.

export { type Batch, DataLoader, type DataLoaderOptions, type RawBatch } from './dataloader.js';
export { ArrayImageDataset, type Dataset, type ImageDataset, type ImageSample } from './dataset.js';
export {
  encodeIdxImages,
  encodeIdxLabels,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  type IdxImages,
  parseIdxImages,
  parseIdxLabels,
} from './idx.js';
export { fetchMnistCache, fnv1a32, type MnistCache, mnistCacheUrl, parseMnistCache } from './mnist-cache.js';
export { fetchPackedMnistCache, mnistPackedUrl, mnistPackFile, mnistPackStreams, unpackMnistCache } from './mnist-pack.js';
export { Mulberry32 } from './prng.js';
export {
  BatchSampler,
  type BatchSamplerOptions,
  RandomSampler,
  type RandomSamplerOptions,
  type Sampler,
  SequentialSampler,
} from './sampler.js';
export {
  compose,
  type Image,
  MNIST_MEAN,
  MNIST_STD,
  mnistTransform,
  normalize,
  pad,
  type Transform,
  toTensor,
} from './transforms.js';
