// The layer catalogue's PyTorch goldens (functional's fixtures) on the `webgpu` device
// (lavapipe in CI): a representative subset — one or two cases per operator, odd shapes
// and empty batches included — since every new shape compiles pipelines on a software GPU.
import { layerGoldenSuite } from '../../functional/test/layers-golden.js';
import { gpuForTests } from './setup.js';

const SUBSET = new Set([
  'conv1d_groups2_nobias',
  'conv3d_tuples',
  'conv_transpose2d_stride2_pad1_outpad1',
  'conv_transpose2d_groups2',
  'conv_transpose2d_empty_batch',
  'local_conv2d_groups2_stride2_pad1',
  'layer_norm_two_axes',
  'layer_norm_empty_batch',
  'group_norm_g3',
  'instance_norm_instance_batch1_no_affine',
  'lrn_k3',
  'normalize_l3_axis0',
  'adaptive_avg_uneven',
  'adaptive_max_uneven',
  'interpolate_bilinear_up_align',
  'interpolate_nearest_down',
  'pixel_shuffle_r2',
  'sliding_window_stride_gt_kernel',
  'pad_reflect',
  'pad_replicate',
]);

const { backend } = await gpuForTests();
if (backend) layerGoldenSuite('webgpu', (c) => SUBSET.has(c.name));
