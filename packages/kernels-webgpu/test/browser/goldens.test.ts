// A representative subset of the layer catalogue's PyTorch 1.13 goldens (functional's fixtures,
// imported as modules by the shared runners) on the `webgpu` device in Chromium (SwiftShader),
// to the same 1e-4 as in Node; the Node tests run every case.
import { getBackend, ready, setDefaultDevice } from '@mge/core';
import { describe, expect, it } from 'vitest';
import '../../src/index.js';
import { checkCatalogueCase, loadCatalogueCases } from '../../../functional/test/catalogue-golden.js';
import { checkLayerCase, loadLayerCases } from '../../../functional/test/layers-golden.js';

// A few cases per fixture file: SwiftShader runs every shader on the CPU.
const LAYER_SUBSET: Record<string, string[]> = {
  layers_conv: ['conv_transpose2d_stride2_pad1_outpad1', 'conv2d_depthwise_s2_nonsquare_batch1', 'conv3d_groups2', 'local_conv2d_basic'],
  layers_norm: ['group_norm_g3', 'layer_norm_last_axis', 'instance_norm_instance', 'lrn_k3'],
  layers_resize: [
    'interpolate_bilinear_up_align',
    'interpolate_bicubic_down_align',
    'adaptive_max_uneven',
    'sliding_window_k3',
    'pad_reflect',
  ],
};
const CATALOGUE_SUBSET: Record<string, string[]> = {
  catalogue_activation: ['mish', 'prelu_per_channel'],
  catalogue_indexing: [
    'gather_axis1',
    'scatter_add_axis0_repeats',
    'topk_2x6_k2_desc',
    'sort_3x5_desc',
    'cumsum_3x6_axis1',
    'embedding_4_pad1',
  ],
  catalogue_loss: ['kl_div_batchmean', 'ctc_batch1_log_probs'],
  catalogue_recurrent: ['lstm_cell', 'lstm_2layer_bidir', 'gru_bidir_batch_first', 'lstm_proj_2layer_bidir_h0'],
  catalogue_attention: ['sdpa_causal', 'mha_masks', 'mha_kdim_vdim_masks_nobias', 'mha_fn_no_k_v_proj'],
};

function pick<T extends { name: string }>(cases: T[], names: string[], file: string): T[] {
  return names.map((n) => {
    const c = cases.find((x) => x.name === n);
    if (!c) throw new Error(`goldens.test: ${file} has no case '${n}'`);
    return c;
  });
}

await ready();
setDefaultDevice('webgpu'); // layers create their parameters on the default device

describe('layer catalogue goldens on webgpu in the browser (PyTorch 1.13)', () => {
  it('runs on the webgpu backend', () => {
    expect(getBackend('webgpu').name).toBe('webgpu');
  });
  for (const [file, names] of Object.entries(LAYER_SUBSET))
    for (const c of pick(loadLayerCases(file), names, file)) it(`${file}: ${c.name}`, () => checkLayerCase(c, 'webgpu'));
  for (const [file, names] of Object.entries(CATALOGUE_SUBSET))
    for (const c of pick(loadCatalogueCases(file), names, file)) it(`${file}: ${c.name}`, () => checkCatalogueCase(c, 'webgpu'));
});
