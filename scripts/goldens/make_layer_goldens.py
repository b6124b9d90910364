#!/usr/bin/python3
"""Golden values for the layer catalogue (convolutions, normalisations, pooling and resizing),
computed with PyTorch 1.13 in MegEngine's conventions.

Run:  /usr/bin/python3 scripts/goldens/make_layer_goldens.py
Writes packages/functional/test/fixtures/layers_*.json in the format of make_goldens.py (same
encoding, same case layout: forward `out`, fixed cotangent, gradient of sum(out * cotangent)).

Where MegEngine differs from PyTorch the reference is rewritten in MegEngine's terms:
- local_response_norm: MegEngine does not divide alpha by the window size (torch alpha = n·alpha);
- adaptive pooling: megdnn pools with stride ⌊in/out⌋ and window in − (out−1)·stride;
- conv_transpose2d's grouped weight is (G, IC/G, OC/G, KH, KW); biases are (1, C, 1, …);
- interpolate places samples by the in/out ratio (torch is called with `size`).
"""
import importlib.util
import os

import numpy as np
import torch
import torch.nn.functional as TF

_spec = importlib.util.spec_from_file_location("make_goldens", os.path.join(os.path.dirname(__file__), "make_goldens.py"))
G = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(G)
randn, t, case, quant, distinct = G.randn, G.t, G.case, G.quant, G.distinct


def _grad_inputs(inputs):
    return [k for k, v in inputs.items() if v[1] is not None and v[1].requires_grad]


# ---------------------------------------------------------------- convolutions

def conv_cases():
    cases = []
    seed = [1100]

    def rng():
        seed[0] += 1
        return np.random.RandomState(seed[0])

    # conv1d: name, N, C, L, O, K, stride, padding, dilation, groups, bias
    for name, n, c, l, o, k, s, p, d, g, bias in [
        ("basic", 2, 3, 9, 4, 3, 1, 1, 1, 1, True),
        ("stride2_dil2", 2, 2, 11, 3, 3, 2, 2, 2, 1, True),
        ("groups2_nobias", 1, 4, 8, 6, 3, 1, 0, 1, 2, False),
        ("batch1_stride_gt_kernel", 1, 2, 10, 3, 2, 3, 0, 1, 1, True),
    ]:
        r = rng()
        x, w = randn(r, n, c, l), randn(r, o, c // g, k, scale=0.5)
        inputs = {"inp": (x, t(x, True)), "weight": (w, t(w, True))}
        b_t = None
        if bias:
            b = randn(r, 1, o, 1)
            inputs["bias"] = (b, t(b, True))
            b_t = inputs["bias"][1].reshape(o)
        out = TF.conv1d(inputs["inp"][1], inputs["weight"][1], b_t, stride=s, padding=p, dilation=d, groups=g)
        args = {"stride": s, "padding": p, "dilation": d, "groups": g}
        cases.append(case(f"conv1d_{name}", "conv1d", args, inputs, out, r, _grad_inputs(inputs)))

    # conv3d: name, input shape, O, kernel, stride, padding, dilation, groups, bias
    for name, shape, o, k, s, p, d, g, bias in [
        ("basic", (2, 2, 4, 5, 5), 3, 3, 1, 1, 1, 1, True),
        ("tuples", (1, 3, 5, 4, 6), 2, [2, 3, 2], [2, 1, 2], [1, 0, 1], [1, 1, 2], 1, True),
        ("groups2", (1, 4, 3, 4, 4), 4, 2, 1, 0, 1, 2, False),
        ("stride_gt_kernel", (2, 1, 5, 5, 5), 2, 1, 2, 0, 1, 1, True),
    ]:
        r = rng()
        ks = [k] * 3 if isinstance(k, int) else k
        c = shape[1]
        x, w = randn(r, *shape), randn(r, o, c // g, *ks, scale=0.4)
        inputs = {"inp": (x, t(x, True)), "weight": (w, t(w, True))}
        b_t = None
        if bias:
            b = randn(r, 1, o, 1, 1, 1)
            inputs["bias"] = (b, t(b, True))
            b_t = inputs["bias"][1].reshape(o)
        out = TF.conv3d(inputs["inp"][1], inputs["weight"][1], b_t, stride=s, padding=p, dilation=d, groups=g)
        args = {"stride": s, "padding": p, "dilation": d, "groups": g}
        cases.append(case(f"conv3d_{name}", "conv3d", args, inputs, out, r, _grad_inputs(inputs)))

    # conv_transpose2d: name, N, IC, H, W, OC, KH, KW, stride, padding, output_padding, dilation, groups, bias
    for name, n, ic, h, w_, oc, kh, kw, s, p, op, d, g, bias in [
        ("basic", 2, 3, 4, 4, 2, 3, 3, 1, 0, 0, 1, 1, True),
        ("stride2_pad1_outpad1", 2, 2, 3, 4, 3, 3, 3, 2, 1, 1, 1, 1, True),
        ("non_square_pairs", 1, 2, 3, 5, 2, 2, 3, [2, 1], [0, 1], [1, 0], [1, 2], 1, True),
        ("groups2", 2, 4, 3, 3, 6, 3, 3, 2, 1, 0, 1, 2, True),
        ("batch1_stride_gt_kernel", 1, 2, 3, 3, 2, 2, 2, 3, 0, 0, 1, 1, False),
        ("empty_batch", 0, 2, 3, 3, 2, 3, 3, 1, 1, 0, 1, 1, True),
    ]:
        r = rng()
        x = randn(r, n, ic, h, w_)
        wt = randn(r, ic, oc // g, kh, kw, scale=0.5)
        inputs = {"inp": (x, t(x, True))}
        if g > 1:
            w5 = wt.reshape(g, ic // g, oc // g, kh, kw)
            inputs["weight"] = (w5, t(w5, True))
            torch_w = inputs["weight"][1].reshape(ic, oc // g, kh, kw)
        else:
            inputs["weight"] = (wt, t(wt, True))
            torch_w = inputs["weight"][1]
        b_t = None
        if bias:
            b = randn(r, 1, oc, 1, 1)
            inputs["bias"] = (b, t(b, True))
            b_t = inputs["bias"][1].reshape(oc)
        out = TF.conv_transpose2d(inputs["inp"][1], torch_w, b_t, stride=s, padding=p, output_padding=op,
                                  groups=g, dilation=d)
        args = {"stride": s, "padding": p, "outputPadding": op, "dilation": d, "groups": g}
        cases.append(case(f"conv_transpose2d_{name}", "convTranspose2d", args, inputs, out, r, _grad_inputs(inputs)))

    # depthwise conv2d (groups = channels; MegEngine's 5-d weight (C, M, 1, KH, KW)): the cpu backend's
    # direct kernels. name, N, C, H, W, multiplier, K, stride, padding, dilation
    for name, n, c, h, w_, m, k, s, p, d in [
        ("s1_p1", 2, 6, 7, 7, 1, 3, 1, 1, 1),
        ("s2_nonsquare_batch1", 1, 4, 5, 8, 1, 3, 2, 1, 1),
        ("mult2_dil2", 2, 3, 8, 6, 2, 3, 1, 2, 2),
        ("stride_gt_kernel", 1, 5, 7, 7, 1, 2, 3, 0, 1),
    ]:
        r = rng()
        x = randn(r, n, c, h, w_)
        wt = randn(r, c, m, 1, k, k, scale=0.5)
        b = randn(r, 1, c * m, 1, 1)
        inputs = {"inp": (x, t(x, True)), "weight": (wt, t(wt, True)), "bias": (b, t(b, True))}
        out = TF.conv2d(inputs["inp"][1], inputs["weight"][1].reshape(c * m, 1, k, k), inputs["bias"][1].reshape(c * m),
                        stride=s, padding=p, dilation=d, groups=c)
        args = {"stride": s, "padding": p, "dilation": d, "groups": c}
        cases.append(case(f"conv2d_depthwise_{name}", "conv2d", args, inputs, out, r, _grad_inputs(inputs)))

    # local_conv2d: name, N, C, H, W, O, K, stride, padding, dilation, groups
    for name, n, c, h, w_, o, k, s, p, d, g in [
        ("basic", 2, 3, 5, 5, 2, 3, 1, 0, 1, 1),
        ("groups2_stride2_pad1", 1, 4, 5, 6, 4, 3, 2, 1, 1, 2),
        ("dilation2", 2, 2, 6, 5, 3, 2, 1, 1, 2, 1),
    ]:
        r = rng()
        x = randn(r, n, c, h, w_)
        xt = t(x, True)
        cols = TF.unfold(xt, k, dilation=d, padding=p, stride=s)  # [N, C·K·K, L]
        oh = (h + 2 * p - d * (k - 1) - 1) // s + 1
        ow = (w_ + 2 * p - d * (k - 1) - 1) // s + 1
        wt = randn(r, g, oh, ow, c // g, k, k, o // g, scale=0.5)
        wtt = t(wt, True)
        cols = cols.reshape(n, g, c // g, k, k, oh, ow)
        out = torch.einsum("ngcxyhw,ghwcxyo->ngohw", cols, wtt).reshape(n, o, oh, ow)
        args = {"stride": s, "padding": p, "dilation": d}
        inputs = {"inp": (x, xt), "weight": (wt, wtt)}
        cases.append(case(f"local_conv2d_{name}", "localConv2d", args, inputs, out, r, ["inp", "weight"]))
    return cases


# ---------------------------------------------------------------- normalisations

def norm_cases():
    cases = []
    seed = [1200]

    def rng():
        seed[0] += 1
        return np.random.RandomState(seed[0])

    for name, shape, ns, affine in [
        ("last_axis", (2, 3, 5), [5], True),
        ("two_axes", (2, 3, 4), [3, 4], True),
        ("no_affine", (4, 6), [6], False),
        ("empty_batch", (0, 3, 4), [4], True),
    ]:
        r = rng()
        x = quant(r.standard_normal(shape) * 1.5 + 0.3)
        inputs = {"inp": (x, t(x, True))}
        w_t = b_t = None
        if affine:
            w = quant(r.uniform(0.5, 1.5, ns))
            b = randn(r, *ns, scale=0.5)
            inputs["weight"], inputs["bias"] = (w, t(w, True)), (b, t(b, True))
            w_t, b_t = inputs["weight"][1], inputs["bias"][1]
        out = TF.layer_norm(inputs["inp"][1], ns, w_t, b_t, eps=1e-5)
        cases.append(case(f"layer_norm_{name}", "layerNorm", {"normalizedShape": ns, "affine": affine},
                          inputs, out, r, _grad_inputs(inputs)))

    for name, op, shape, groups, affine in [
        ("g3", "groupNorm", (2, 6, 3, 3), 3, True),
        ("g1_no_affine", "groupNorm", (2, 4, 2, 3), 1, False),
        ("3d_input", "groupNorm", (3, 4, 5), 2, True),
        ("instance", "instanceNorm", (2, 3, 4, 4), None, True),
        ("instance_batch1_no_affine", "instanceNorm", (1, 2, 3, 5), None, False),
    ]:
        r = rng()
        c = shape[1]
        x = quant(r.standard_normal(shape) * 1.5 - 0.2)
        inputs = {"inp": (x, t(x, True))}
        w_t = b_t = None
        if affine:
            w = quant(r.uniform(0.5, 1.5, (c,)))
            b = randn(r, c, scale=0.5)
            inputs["weight"], inputs["bias"] = (w, t(w, True)), (b, t(b, True))
            w_t, b_t = inputs["weight"][1], inputs["bias"][1]
        g = c if groups is None else groups
        out = TF.group_norm(inputs["inp"][1], g, w_t, b_t, eps=1e-5)
        args = {"affine": affine}
        if groups is not None:
            args["numGroups"] = groups
        cases.append(case(f"{'group' if groups else 'instance'}_norm_{name}", op, args, inputs, out, r,
                          _grad_inputs(inputs)))

    for name, shape, ks, k, alpha, beta in [
        ("k3", (2, 6, 3, 3), 3, 2.0, 0.1, 0.75),
        ("k5_defaults_but_alpha", (1, 7, 2, 4), 5, 2.0, 0.05, 0.75),
        ("k1_3d", (2, 3, 4), 1, 1.0, 0.2, 0.5),
    ]:
        r = rng()
        x = randn(r, *shape, scale=2.0)
        xt = t(x, True)
        out = TF.local_response_norm(xt, ks, alpha=alpha * ks, beta=beta, k=k)
        args = {"kernelSize": ks, "k": k, "alpha": alpha, "beta": beta}
        cases.append(case(f"lrn_{name}", "localResponseNorm", args, {"inp": (x, xt)}, out, r, ["inp"]))

    for name, shape, ord_, axis in [
        ("l2_axis1", (3, 4), 2, 1),
        ("l2_all", (2, 3, 2), 2, None),
        ("l1_axis_last", (2, 3, 4), 1, -1),
        ("l3_axis0", (4, 3), 3, 0),
    ]:
        r = rng()
        x = G.away_from_zero(r, *shape)
        xt = t(x, True)
        if axis is None:
            nrm = xt.abs().pow(ord_).sum().pow(1 / ord_)
        else:
            nrm = xt.abs().pow(ord_).sum(axis, keepdim=True).pow(1 / ord_)
        out = xt / nrm.clamp(min=1e-12)
        args = {"ord": ord_, "axis": axis}
        cases.append(case(f"normalize_{name}", "normalize", args, {"inp": (x, xt)}, out, r, ["inp"]))
    return cases


# ---------------------------------------------------------------- pooling and resizing

def resize_cases():
    cases = []
    seed = [1300]

    def rng():
        seed[0] += 1
        return np.random.RandomState(seed[0])

    for name, op, shape, oshp in [
        ("avg_divisible", "adaptiveAvgPool2d", (2, 3, 6, 8), (3, 2)),
        ("avg_global_batch1", "adaptiveAvgPool2d", (1, 4, 5, 7), 1),
        ("avg_uneven", "adaptiveAvgPool2d", (2, 2, 7, 5), (3, 2)),
        ("max_divisible", "adaptiveMaxPool2d", (2, 3, 6, 8), (3, 4)),
        ("max_uneven", "adaptiveMaxPool2d", (1, 2, 7, 9), (2, 4)),
    ]:
        r = rng()
        x = distinct(r, *shape)
        xt = t(x, True)
        oh, ow = (oshp, oshp) if isinstance(oshp, int) else oshp
        h, w_ = shape[2:]
        sh, sw = h // oh, w_ // ow
        kernel = (h - (oh - 1) * sh, w_ - (ow - 1) * sw)
        if op == "adaptiveAvgPool2d":
            out = TF.avg_pool2d(xt, kernel, (sh, sw))
            if h % oh == 0 and w_ % ow == 0:
                assert torch.allclose(out, TF.adaptive_avg_pool2d(xt, (oh, ow)), atol=1e-6)
        else:
            out = TF.max_pool2d(xt, kernel, (sh, sw))
            if h % oh == 0 and w_ % ow == 0:
                assert torch.equal(out, TF.adaptive_max_pool2d(xt, (oh, ow)))
        cases.append(case(f"adaptive_{name}", op, {"oshp": oshp}, {"inp": (x, xt)}, out, r, ["inp"]))

    for name, shape, size, mode, align in [
        ("nearest_up", (2, 2, 3, 4), [5, 7], "nearest", None),
        ("nearest_down", (1, 2, 7, 6), [3, 4], "nearest", None),
        ("bilinear_up", (2, 2, 3, 4), [5, 9], "bilinear", False),
        ("bilinear_up_align", (2, 1, 3, 4), [6, 7], "bilinear", True),
        ("bilinear_down", (1, 2, 7, 8), [3, 5], "bilinear", False),
        ("bilinear_down_align", (1, 2, 6, 5), [4, 2], "bilinear", True),
        ("linear_1d", (2, 3, 5), [8], "linear", False),
        ("nearest_1d", (2, 2, 5), [3], "nearest", None),
        ("bilinear_empty_batch", (0, 2, 3, 3), [4, 5], "bilinear", False),
    ]:
        r = rng()
        x = randn(r, *shape)
        xt = t(x, True)
        out = TF.interpolate(xt, size=size, mode=mode, align_corners=align)
        args = {"size": size, "mode": mode}
        if align is not None:
            args["alignCorners"] = align
        cases.append(case(f"interpolate_{name}", "interpolate", args, {"inp": (x, xt)}, out, r, ["inp"]))

    for name, shape, factor in [("r2", (2, 8, 3, 2), 2), ("r3_batch1", (1, 9, 2, 2), 3), ("5d", (2, 1, 4, 2, 3), 2)]:
        r = rng()
        x = randn(r, *shape)
        xt = t(x, True)
        out = TF.pixel_shuffle(xt, factor)
        cases.append(case(f"pixel_shuffle_{name}", "pixelShuffle", {"upscaleFactor": factor}, {"inp": (x, xt)}, out, r, ["inp"]))

    for name, shape, k, p, s, d in [
        ("k3", (2, 2, 5, 5), 3, 0, 1, 1),
        ("pad1_stride2_nonsquare", (1, 3, 5, 6), [2, 3], 1, 2, 1),
        ("dilation2", (2, 1, 6, 5), 2, [1, 0], 1, 2),
        ("stride_gt_kernel", (1, 2, 7, 7), 2, 0, 3, 1),
    ]:
        r = rng()
        x = randn(r, *shape)
        xt = t(x, True)
        kh, kw = (k, k) if isinstance(k, int) else k
        cols = TF.unfold(xt, (kh, kw), dilation=d, padding=p, stride=s)
        ph, pw = (p, p) if isinstance(p, int) else p
        oh = (shape[2] + 2 * ph - d * (kh - 1) - 1) // s + 1
        ow = (shape[3] + 2 * pw - d * (kw - 1) - 1) // s + 1
        out = cols.reshape(shape[0], shape[1], kh, kw, oh, ow).permute(0, 1, 4, 5, 2, 3)
        args = {"kernelSize": k, "padding": p, "stride": s, "dilation": d}
        cases.append(case(f"sliding_window_{name}", "slidingWindow", args, {"inp": (x, xt)}, out, r, ["inp"]))

    for name, shape, pads, mode, value in [
        ("constant", (2, 2, 3, 4), [[0, 0], [0, 0], [1, 2], [2, 1]], "constant", 0.5),
        ("reflect", (2, 2, 4, 5), [[0, 0], [0, 0], [2, 1], [3, 4]], "reflect", 0),
        ("replicate", (1, 3, 3, 4), [[0, 0], [0, 0], [2, 3], [1, 0]], "replicate", 0),
        ("reflect_3d_middle_axis", (2, 5, 3), [[0, 0], [2, 2]], "reflect", 0),
    ]:
        r = rng()
        x = randn(r, *shape)
        xt = t(x, True)
        flat = []
        for b, e in reversed(pads + [[0, 0]] * (len(shape) - len(pads))):
            flat += [b, e]
        if mode == "constant":
            out = TF.pad(xt, flat, mode="constant", value=value)
        elif len(shape) == 3:  # torch reflects only the trailing axes: move axis 1 last
            out = TF.pad(xt.transpose(1, 2), [2, 2], mode=mode).transpose(1, 2)
        else:
            out = TF.pad(xt, flat[: 2 * (len(shape) - 2)], mode=mode)
        args = {"padWidth": pads, "mode": mode, "constantValue": value}
        cases.append(case(f"pad_{name}", "pad", args, {"inp": (x, xt)}, out, r, ["inp"]))

    # bicubic (A = -0.75): taps past the border clamp to the edge, both corner conventions
    for name, shape, size, align in [
        ("bicubic_up", (2, 2, 3, 4), [5, 9], False),
        ("bicubic_up_align", (1, 2, 4, 3), [7, 6], True),
        ("bicubic_down", (1, 2, 9, 7), [4, 3], False),
        ("bicubic_down_align", (2, 1, 6, 8), [3, 5], True),
        ("bicubic_batch1_nonsquare", (1, 1, 2, 5), [3, 11], False),
        ("bicubic_empty_batch", (0, 2, 3, 3), [4, 5], False),
    ]:
        r = rng()
        x = randn(r, *shape)
        xt = t(x, True)
        out = TF.interpolate(xt, size=size, mode="bicubic", align_corners=align)
        args = {"size": size, "mode": "bicubic", "alignCorners": align}
        cases.append(case(f"interpolate_{name}", "interpolate", args, {"inp": (x, xt)}, out, r, ["inp"]))
    return cases


def main():
    for fname, make in [("layers_conv", conv_cases), ("layers_norm", norm_cases), ("layers_resize", resize_cases)]:
        doc = {"generator": "scripts/goldens/make_layer_goldens.py", "torch": torch.__version__, "cases": make()}
        path = os.path.join(G.OUT_DIR, f"{fname}.json")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(G.dumps(doc) + "\n")
        os.replace(tmp, path)
        print(f"wrote {path}: {len(doc['cases'])} cases")


if __name__ == "__main__":
    torch.manual_seed(0)
    main()
