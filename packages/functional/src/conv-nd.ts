import { concat, index, pad, reshape, shapeToString, type Tensor, transpose, unsqueeze } from '@mge/core';
import { biasArg, intArg, rankArg, tupleArg } from './check.js';
import { conv2d } from './conv.js';

export interface Conv1dOptions {
  stride?: number;
  padding?: number;
  dilation?: number;
  groups?: number;
}

/** A grouped weight (G, O/G, C/G, ...k) as (O, C/G, ...k), checking G against 'groups'. */
function ungroup(op: string, weight: Tensor, groups: number, rank: number): Tensor {
  rankArg(op, 'weight', weight, [rank, rank + 1]);
  if (weight.ndim === rank) return weight;
  const [g, og, ...rest] = weight.shape;
  if (g !== groups)
    throw new Error(`${op}: a ${rank + 1}-d weight ${shapeToString(weight.shape)} holds ${g} groups but 'groups' is ${groups}`);
  return reshape(weight, [g * og, ...rest]);
}

/**
 * MegEngine's F.conv1d: inp (N, C, L), weight (O, C, K) or (G, O/G, C/G, K) when grouped,
 * bias (1, O, 1); a conv2d over a 1-high image.
 */
export function conv1d(inp: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv1dOptions = {}): Tensor {
  const op = 'conv1d';
  rankArg(op, 'inp', inp, [3]);
  const stride = intArg(op, 'stride', options.stride ?? 1, 1);
  const padding = intArg(op, 'padding', options.padding ?? 0, 0);
  const dilation = intArg(op, 'dilation', options.dilation ?? 1, 1);
  const groups = intArg(op, 'groups', options.groups ?? 1, 1);
  weight = ungroup(op, weight, groups, 3);
  const o = weight.shape[0];
  const b = bias === undefined || bias === null ? null : reshape(biasArg(op, bias, [1, o, 1]), [1, o, 1, 1]);
  const y = conv2d(unsqueeze(inp, 2), unsqueeze(weight, 2), b, {
    stride: [1, stride],
    padding: [0, padding],
    dilation: [1, dilation],
    groups,
  });
  return reshape(y, [y.shape[0], o, y.shape[3]]);
}

export interface Conv3dOptions {
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
}

/**
 * MegEngine's F.conv3d: inp (N, C, D, H, W), weight (O, C, KD, KH, KW) or
 * (G, O/G, C/G, KD, KH, KW) when grouped, bias (1, O, 1, 1, 1).
 * Composed as one conv2d: the KD depth slices each output depth sees are stacked into the
 * channels (per group), and the output depths into the batch.
 */
export function conv3d(inp: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv3dOptions = {}): Tensor {
  const op = 'conv3d';
  rankArg(op, 'inp', inp, [5]);
  const [sd, sh, sw] = tupleArg(op, 'stride', options.stride ?? 1, 3, 1);
  const [pd, ph, pw] = tupleArg(op, 'padding', options.padding ?? 0, 3, 0);
  const [dd, dh, dw] = tupleArg(op, 'dilation', options.dilation ?? 1, 3, 1);
  const g = intArg(op, 'groups', options.groups ?? 1, 1);
  weight = ungroup(op, weight, g, 5);
  const [n, c, d, h, w] = inp.shape;
  const [o, cg, kd, kh, kw] = weight.shape;
  if (c % g !== 0 || o % g !== 0) throw new Error(`${op}: groups (${g}) must divide the input channels (${c}) and output channels (${o})`);
  if (cg * g !== c) {
    throw new Error(
      `${op}: weight ${shapeToString(weight.shape)} expects ${cg * g} input channels but inp ${shapeToString(inp.shape)} has ${c}`,
    );
  }
  const od = Math.floor((d + 2 * pd - dd * (kd - 1) - 1) / sd) + 1;
  if (od <= 0) throw new Error(`${op}: the kernel depth ${kd} (dilation ${dd}) does not fit the padded input depth ${d + 2 * pd}`);
  const x =
    pd > 0
      ? pad(inp, [
          [0, 0],
          [0, 0],
          [pd, pd],
        ])
      : inp;
  // [N, KD, C, OD, H, W]: slice kd holds depths kd·dd, kd·dd + sd, …
  const slices = Array.from({ length: kd }, (_, k) =>
    unsqueeze(index(x, {}, {}, { start: k * dd, stop: k * dd + (od - 1) * sd + 1, step: sd }), 1),
  );
  let cols = slices.length === 1 ? slices[0] : concat(slices, 1);
  // → [N, OD, G, KD, C/G, H, W] → [N·OD, G·KD·C/G, H, W]
  cols = reshape(cols, [n, kd, g, cg, od, h, w]);
  cols = reshape(transpose(cols, [0, 4, 2, 1, 3, 5, 6]), [n * od, g * kd * cg, h, w]);
  const w2 = reshape(transpose(weight, [0, 2, 1, 3, 4]), [o, kd * cg, kh, kw]);
  const b = bias === undefined || bias === null ? null : reshape(biasArg(op, bias, [1, o, 1, 1, 1]), [1, o, 1, 1]);
  const y = conv2d(cols, w2, b, { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups: g });
  const [, , oh, ow] = y.shape;
  return transpose(reshape(y, [n, od, o, oh, ow]), [0, 2, 1, 3, 4]);
}
