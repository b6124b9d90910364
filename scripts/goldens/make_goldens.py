#!/usr/bin/python3
"""Golden values for MegEngine.ts, computed with PyTorch (Debian python3-torch).

Run:  /usr/bin/python3 scripts/goldens/make_goldens.py
Writes packages/functional/test/fixtures/*.json (deterministic: fixed seeds, float32, one thread).

Every fixture file is {"generator", "torch", "cases": [case, ...]} and every case is
  {name, op, args, inputs, outputs, cotangent, grads}
where each tensor is {shape, dtype, data (flat row-major list)}.
- `args` are keyword arguments in MegEngine.ts naming (camelCase, MegEngine conventions:
  grouped conv weight 5-D (G, O/G, C/G, KH, KW), batch-norm momentum 0.9 = keep 90 % of running).
- `outputs.out` is the differentiated output; `cotangent` is the fixed random g and
  grads[x] = d(sum(out * g))/dx. Other outputs (updated running stats, loss) are compared as values.
- LeNet's case has `params` (state_dict keys of @mge/models-zoo's LeNet) and grads of the loss.

Inputs are quantised to a few decimals so they are exact float32 values written short; expected
values are rounded to 6 significant digits (5e-7 relative), far inside the tests' 1e-4 tolerance.
Inputs are re-drawn when a value sits within `MARGIN` of a kink (ReLU at 0, a max-pool tie), where
two correct implementations could legitimately disagree on the gradient.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as TF

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

OUT_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "packages", "functional", "test", "fixtures")
MARGIN = 1e-3
# LeNet has ~10^4 pre-activations, too many to keep 1e-3 from zero; summation-order differences
# between implementations are ~1e-6 there, so 1e-5 still separates a kink from rounding noise.
LENET_MARGIN = 1e-5
EXPECTED_SIG_DIGITS = 6


# ---------------------------------------------------------------- encoding

def _fmt(x: np.float32, allow_inf=False) -> str:
    # numpy's str of a float32 is the shortest text that parses back to the same float32.
    s = str(np.float32(x))
    if allow_inf and s in ("inf", "-inf"):
        return '"Infinity"' if s == "inf" else '"-Infinity"'  # Float32Array.from turns these back into ±∞
    if s in ("nan", "inf", "-inf"):
        raise ValueError(f"non-finite value {s} in a fixture")
    return s[:-2] if s.endswith(".0") else s  # "0.0" -> "0": LeNet's gradients are mostly zeros


def enc(arr, round_sig=None, allow_inf=False) -> dict:
    a = np.asarray(arr)
    if a.dtype.kind in "iu":
        return {"shape": list(a.shape), "dtype": "int32", "data": [int(v) for v in a.reshape(-1)]}
    a = a.astype(np.float32)
    flat = a.reshape(-1)
    if round_sig is not None:
        flat = np.array([float(f"{float(v):.{round_sig}g}") for v in flat], dtype=np.float32)
    return {"shape": list(a.shape), "dtype": "float32", "data": [_Raw(_fmt(v, allow_inf)) for v in flat]}


def expected(t) -> dict:
    if isinstance(t, torch.Tensor):
        t = t.detach().numpy()
    return enc(t, EXPECTED_SIG_DIGITS)


class _Raw(str):
    """A number already formatted; dumped without quotes."""


def dumps(obj, indent=0) -> str:
    pad = "  " * indent
    if isinstance(obj, _Raw):
        return str(obj)
    if isinstance(obj, dict):
        if "data" in obj and "shape" in obj:  # a tensor: keep on one line
            items = ",".join(f"{json.dumps(k)}:{dumps(v)}" for k, v in obj.items())
            return "{" + items + "}"
        inner = ",\n".join(f"{pad}  {json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in obj.items())
        return "{\n" + inner + "\n" + pad + "}"
    if isinstance(obj, list):
        if all(isinstance(v, (_Raw, int, float, str)) or v is None for v in obj):
            return "[" + ",".join(dumps(v) for v in obj) + "]"
        inner = ",\n".join(f"{pad}  {dumps(v, indent + 1)}" for v in obj)
        return "[\n" + inner + "\n" + pad + "]"
    return json.dumps(obj)


# ---------------------------------------------------------------- inputs

def quant(a, decimals=3) -> np.ndarray:
    """Round to `decimals` so the float32 value is written in a few characters."""
    return np.asarray(np.round(np.asarray(a, dtype=np.float64), decimals), dtype=np.float32)


def randn(rng, *shape, scale=1.0, decimals=3) -> np.ndarray:
    return quant(rng.standard_normal(shape) * scale, decimals)


def away_from_zero(rng, *shape, scale=1.0) -> np.ndarray:
    x = randn(rng, *shape, scale=scale)
    while np.any(np.abs(x) < MARGIN):
        x = randn(rng, *shape, scale=scale)
    return x


def distinct(rng, *shape, step=0.013) -> np.ndarray:
    """Distinct values (no max-pool ties), centred on 0 so padding would win if it were allowed."""
    n = int(np.prod(shape))
    vals = (np.arange(n) - n / 2) * step
    return quant(rng.permutation(vals).reshape(shape))


def t(a, grad=False) -> torch.Tensor:
    x = torch.from_numpy(np.array(a, order="C"))  # np.array keeps 0-d shapes (ascontiguousarray does not)
    return x.requires_grad_(grad)


def grads_of(out, g, named_inputs) -> dict:
    """d(sum(out * g))/d(input) for every input that requires grad."""
    wanted = [(k, v) for k, v in named_inputs.items() if v.requires_grad]
    gs = torch.autograd.grad(out, [v for _, v in wanted], grad_outputs=g)
    return {k: gv for (k, _), gv in zip(wanted, gs)}


def case(name, op, args, inputs, out, rng, grad_inputs, extra_outputs=None, grad_reshape=None):
    """Build one fixture case; `inputs` maps name -> (numpy value as stored, torch tensor used)."""
    g = quant(rng.standard_normal(tuple(out.shape)))
    grads = grads_of(out, t(g), {k: inputs[k][1] for k in grad_inputs})
    grad_reshape = grad_reshape or {}
    outputs = {"out": expected(out)}
    for k, v in (extra_outputs or {}).items():
        outputs[k] = expected(v)
    return {
        "name": name,
        "op": op,
        "args": args,
        "inputs": {k: enc(v[0], allow_inf=True) for k, v in inputs.items()},
        "outputs": outputs,
        "cotangent": enc(g),
        "grads": {k: expected(grad_reshape.get(k, lambda x: x)(grads[k].numpy())) for k in grad_inputs},
    }


# ---------------------------------------------------------------- conv2d

def conv2d_cases():
    cases = []
    specs = [
        # name, N, C, H, W, O, KH, KW, stride, padding, dilation, groups, bias
        ("basic", 2, 3, 7, 7, 4, 3, 3, 1, 0, 1, 1, True),
        ("stride2_pad1", 2, 3, 8, 8, 5, 3, 3, 2, 1, 1, 1, True),
        ("dilation2_pad2", 1, 2, 9, 8, 3, 3, 3, 1, 2, 2, 1, True),
        ("pairs", 2, 2, 7, 9, 3, 2, 3, [2, 1], [1, 0], [1, 2], 1, True),
        ("groups2", 2, 4, 6, 6, 6, 3, 3, 1, 1, 1, 2, True),
        ("groups2_stride2_nobias", 1, 4, 7, 7, 4, 3, 3, 2, 1, 1, 2, False),
        ("pointwise", 2, 5, 4, 3, 3, 1, 1, 1, 0, 1, 1, True),
    ]
    for i, (name, n, c, h, w, o, kh, kw, stride, padding, dilation, groups, has_bias) in enumerate(specs):
        rng = np.random.RandomState(100 + i)
        x = randn(rng, n, c, h, w)
        wt = randn(rng, o, c // groups, kh, kw, scale=0.5)
        inputs = {"inp": (x, t(x, True))}
        if groups > 1:
            # MegEngine's grouped weight: (G, O/G, C/G, KH, KW); torch wants (O, C/G, KH, KW).
            w5 = wt.reshape(groups, o // groups, c // groups, kh, kw)
            w_t = t(w5, True)
            inputs["weight"] = (w5, w_t)
            torch_w = w_t.reshape(o, c // groups, kh, kw)
        else:
            w_t = t(wt, True)
            inputs["weight"] = (wt, w_t)
            torch_w = w_t
        torch_b = None
        if has_bias:
            b = randn(rng, 1, o, 1, 1)
            b_t = t(b, True)
            inputs["bias"] = (b, b_t)
            torch_b = b_t.reshape(o)
        out = TF.conv2d(inputs["inp"][1], torch_w, torch_b, stride=stride, padding=padding,
                        dilation=dilation, groups=groups)
        args = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
        cases.append(case(f"conv2d_{name}", "conv2d", args, inputs, out, rng, list(inputs)))
    return cases


# ---------------------------------------------------------------- pooling

def pool_cases():
    cases = []
    specs = [
        # name, op, shape, kernel, stride, padding
        ("max_k2", "maxPool2d", (2, 3, 6, 6), 2, 2, 0),
        ("max_k3_s2_p1", "maxPool2d", (2, 2, 7, 7), 3, 2, 1),
        ("max_k3_s1_p1", "maxPool2d", (1, 2, 5, 6), 3, 1, 1),
        ("max_pairs", "maxPool2d", (1, 2, 6, 7), [2, 3], [1, 2], [1, 0]),
        ("avg_k2", "avgPool2d", (2, 3, 6, 6), 2, 2, 0),
        ("avg_k3_s2_p1", "avgPool2d", (2, 2, 7, 7), 3, 2, 1),
        ("avg_k3_s1_p1", "avgPool2d", (1, 2, 5, 6), 3, 1, 1),
        ("avg_pairs", "avgPool2d", (1, 2, 6, 7), [2, 3], [1, 2], [1, 0]),
        ("max_stride_gt_kernel_batch1", "maxPool2d", (1, 2, 8, 7), 2, 3, 0),
        ("avg_stride_gt_kernel", "avgPool2d", (2, 1, 7, 9), [2, 1], [3, 4], [1, 0]),
    ]
    for i, (name, op, shape, k, s, p) in enumerate(specs):
        rng = np.random.RandomState(200 + i)
        x = distinct(rng, *shape)
        xt = t(x, True)
        if op == "maxPool2d":
            out = TF.max_pool2d(xt, k, s, p)
        else:
            # MegEngine's avg_pool2d default mode is "average_count_exclude_padding".
            out = TF.avg_pool2d(xt, k, s, p, count_include_pad=False)
        args = {"kernelSize": k, "stride": s, "padding": p}
        cases.append(case(f"{name}", op, args, {"inp": (x, xt)}, out, rng, ["inp"]))
    return cases


# ---------------------------------------------------------------- batch norm

def batchnorm_cases():
    cases = []
    specs = [
        # name, shape, training
        ("bn2d_train", (4, 3, 5, 5), True),
        ("bn2d_eval", (4, 3, 5, 5), False),
        ("bn2d_train_batch2", (2, 4, 3, 3), True),
        ("bn1d_train", (6, 5), True),
        ("bn1d_eval", (6, 5), False),
    ]
    momentum_mge, eps = 0.9, 1e-5
    for i, (name, shape, training) in enumerate(specs):
        rng = np.random.RandomState(300 + i)
        c = shape[1]
        pshape = (1, c) + (1,) * (len(shape) - 2)  # MegEngine's functional layout: (1, C, 1, 1)
        x = quant(rng.standard_normal(shape) * 1.5 + 0.7)
        rm = randn(rng, *pshape, scale=0.3)
        rv = quant(rng.uniform(0.5, 2.0, pshape))
        w = quant(rng.uniform(0.5, 1.5, pshape))
        b = randn(rng, *pshape, scale=0.5)
        xt, wt, bt = t(x, True), t(w, True), t(b, True)
        rm_t, rv_t = t(rm.copy().reshape(c)), t(rv.copy().reshape(c))
        # torch momentum is the weight of the batch statistic: 1 - MegEngine's momentum.
        out = TF.batch_norm(xt, rm_t, rv_t, wt.reshape(c), bt.reshape(c), training=training,
                            momentum=1 - momentum_mge, eps=eps)
        inputs = {"inp": (x, xt), "runningMean": (rm, None), "runningVar": (rv, None),
                  "weight": (w, wt), "bias": (b, bt)}
        extra = {"runningMean": rm_t.reshape(pshape), "runningVar": rv_t.reshape(pshape)}
        args = {"training": training, "momentum": momentum_mge, "eps": eps}
        cases.append(case(name, "batchNorm", args, inputs, out, rng, ["inp", "weight", "bias"], extra))
    return cases


# ---------------------------------------------------------------- activations, softmax, linear

def activation_cases():
    cases = []
    specs = [
        ("relu", "relu", {}, lambda x: TF.relu(x)),
        ("gelu", "gelu", {}, lambda x: TF.gelu(x)),  # exact erf form, as MegEngine
        ("sigmoid", "sigmoid", {}, torch.sigmoid),
        ("leaky_relu_default", "leakyRelu", {}, lambda x: TF.leaky_relu(x, 0.01)),
        ("leaky_relu_0.2", "leakyRelu", {"negativeSlope": 0.2}, lambda x: TF.leaky_relu(x, 0.2)),
    ]
    for i, (name, op, args, fn) in enumerate(specs):
        rng = np.random.RandomState(400 + i)
        x = away_from_zero(rng, 3, 7, scale=2.0)
        xt = t(x, True)
        cases.append(case(name, op, args, {"inp": (x, xt)}, fn(xt), rng, ["inp"]))

    soft = [
        ("softmax_axis1", "softmax", (3, 5), 1),
        ("softmax_axis_last_3d", "softmax", (2, 3, 4), -1),
        ("softmax_axis0", "softmax", (4, 3), 0),
        ("log_softmax_axis1", "logSoftmax", (3, 5), 1),
        ("log_softmax_axis_last_3d", "logSoftmax", (2, 3, 4), -1),
        ("log_softmax_large", "logSoftmax", (2, 6), 1),
    ]
    for i, (name, op, shape, axis) in enumerate(soft):
        rng = np.random.RandomState(500 + i)
        x = randn(rng, *shape, scale=30.0 if name.endswith("large") else 2.0)
        xt = t(x, True)
        out = TF.softmax(xt, axis) if op == "softmax" else TF.log_softmax(xt, axis)
        cases.append(case(name, op, {"axis": axis}, {"inp": (x, xt)}, out, rng, ["inp"]))

    lin = [("linear_2d", (4, 5), 3, True), ("linear_3d", (2, 3, 5), 4, True), ("linear_nobias", (3, 6), 2, False)]
    for i, (name, shape, o, has_bias) in enumerate(lin):
        rng = np.random.RandomState(600 + i)
        x = randn(rng, *shape)
        w = randn(rng, o, shape[-1], scale=0.5)
        xt, wt = t(x, True), t(w, True)
        inputs = {"inp": (x, xt), "weight": (w, wt)}
        bt = None
        if has_bias:
            b = randn(rng, o, scale=0.5)
            bt = t(b, True)
            inputs["bias"] = (b, bt)
        out = TF.linear(xt, wt, bt)
        cases.append(case(name, "linear", {}, inputs, out, rng, list(inputs)))
    return cases


# ---------------------------------------------------------------- cross entropy

def cross_entropy_cases():
    cases = []
    specs = [
        # name, shape, args (MegEngine naming)
        ("ce_mean", (5, 4), {"axis": 1, "withLogits": True, "labelSmooth": 0.0, "reduction": "mean"}),
        ("ce_label_smooth", (5, 4), {"axis": 1, "withLogits": True, "labelSmooth": 0.1, "reduction": "mean"}),
        ("ce_sum", (3, 6), {"axis": 1, "withLogits": True, "labelSmooth": 0.0, "reduction": "sum"}),
        ("ce_none", (4, 3), {"axis": 1, "withLogits": True, "labelSmooth": 0.0, "reduction": "none"}),
        ("ce_probs", (4, 5), {"axis": 1, "withLogits": False, "labelSmooth": 0.0, "reduction": "mean"}),
        ("ce_probs_label_smooth", (4, 5), {"axis": 1, "withLogits": False, "labelSmooth": 0.1, "reduction": "mean"}),
    ]
    for i, (name, shape, args) in enumerate(specs):
        rng = np.random.RandomState(700 + i)
        n, k = shape
        label = rng.randint(0, k, size=(n,)).astype(np.int32)
        if args["withLogits"]:
            x = randn(rng, *shape, scale=2.0)
        else:
            # probabilities: positive rows summing to ~1 (MegEngine takes log of them as given)
            p = rng.uniform(0.05, 1.0, shape)
            x = quant(p / p.sum(axis=1, keepdims=True), 4)
        xt = t(x, True)
        logp = TF.log_softmax(xt, 1) if args["withLogits"] else torch.log(xt)
        # MegEngine: target = one_hot * (1 - ls) + ls / K, loss = -sum(target * log p) per row.
        onehot = TF.one_hot(torch.from_numpy(label.astype(np.int64)), k).to(torch.float32)
        ls = args["labelSmooth"]
        target = onehot * (1 - ls) + ls / k
        per_row = -(target * logp).sum(1)
        out = {"mean": per_row.mean(), "sum": per_row.sum(), "none": per_row}[args["reduction"]]
        if args["withLogits"]:  # cross-check the hand-written form against torch's own
            ref = TF.cross_entropy(xt, torch.from_numpy(label.astype(np.int64)), reduction=args["reduction"],
                                   label_smoothing=ls)
            assert torch.allclose(ref, out, rtol=1e-6, atol=1e-6), name
        inputs = {"pred": (x, xt), "label": (label, None)}
        cases.append(case(name, "crossEntropy", args, inputs, out, rng, ["pred"]))
    # A masked class: a logit of -inf (or a probability of 0) on a class that is not the label
    # adds nothing to the loss (PyTorch and MegEngine give 0.1269 for the first row, not NaN).
    rng = np.random.RandomState(760)
    x = np.array([[0, -np.inf, 2], [1, 0.5, -np.inf]], dtype=np.float32)
    label = np.array([2, 0], dtype=np.int32)
    lt = torch.from_numpy(label.astype(np.int64))
    xt = t(x, True)
    args = {"axis": 1, "withLogits": True, "labelSmooth": 0.0, "reduction": "none"}
    out = TF.cross_entropy(xt, lt, reduction="none")
    cases.append(case("ce_masked_class", "crossEntropy", args, {"pred": (x, xt), "label": (label, None)}, out, rng, ["pred"]))
    p = np.array([[0.2, 0, 0.8], [0.5, 0.5, 0]], dtype=np.float32)
    pt = t(p, True)
    args = {"axis": 1, "withLogits": False, "labelSmooth": 0.0, "reduction": "none"}
    out = -torch.log(pt.gather(1, lt[:, None]))[:, 0]  # the label's term only: no 0·log(0)
    cases.append(case("ce_probs_zero", "crossEntropy", args, {"pred": (p, pt), "label": (label, None)}, out, rng, ["pred"]))
    return cases


# ---------------------------------------------------------------- LeNet

LENET_SHAPES = {  # MegEngine.ts state_dict layout
    "conv1.weight": (6, 1, 5, 5), "conv1.bias": (1, 6, 1, 1),
    "conv2.weight": (16, 6, 5, 5), "conv2.bias": (1, 16, 1, 1),
    "fc1.weight": (120, 400), "fc1.bias": (120,),
    "fc2.weight": (84, 120), "fc2.bias": (84,),
    "classifier.weight": (10, 84), "classifier.bias": (10,),
}


def lenet_forward(p, x):
    """Returns logits and every pre-activation / pool input, to check for kinks."""
    kinks = []
    h = TF.conv2d(x, p["conv1.weight"], p["conv1.bias"].reshape(-1))
    kinks.append(("relu", h))
    h = TF.relu(h)
    kinks.append(("pool", h))
    h = TF.max_pool2d(h, 2, 2)
    h = TF.conv2d(h, p["conv2.weight"], p["conv2.bias"].reshape(-1))
    kinks.append(("relu", h))
    h = TF.relu(h)
    kinks.append(("pool", h))
    h = TF.max_pool2d(h, 2, 2)
    h = h.flatten(1)
    h = TF.linear(h, p["fc1.weight"], p["fc1.bias"])
    kinks.append(("relu", h))
    h = TF.relu(h)
    h = TF.linear(h, p["fc2.weight"], p["fc2.bias"])
    kinks.append(("relu", h))
    h = TF.relu(h)
    return TF.linear(h, p["classifier.weight"], p["classifier.bias"]), kinks


def near_kink(kinks, margin) -> bool:
    for kind, v in kinks:
        v = v.detach()
        if kind == "relu" and bool((v.abs() < margin).any()):
            return True
        if kind == "pool":
            # top two of each 2x2 window among positive values must differ clearly (zeros tie harmlessly:
            # their gradient through ReLU is zero whichever one wins)
            n, c, hh, ww = v.shape
            win = v[:, :, : hh // 2 * 2, : ww // 2 * 2].reshape(n, c, hh // 2, 2, ww // 2, 2)
            win = win.permute(0, 1, 2, 4, 3, 5).reshape(-1, 4)
            top2 = win.topk(2, dim=1).values
            if bool(((top2[:, 0] > 0) & (top2[:, 0] - top2[:, 1] < margin)).any()):
                return True
    return False


def lenet_case():
    for attempt in range(200):
        rng = np.random.RandomState(800 + attempt)
        params = {}
        for k, shape in LENET_SHAPES.items():
            if k.endswith("weight"):
                fan_in = int(np.prod(shape[1:]))
                params[k] = randn(rng, *shape, scale=np.sqrt(1.0 / fan_in))
            else:
                params[k] = randn(rng, *shape, scale=0.1)
        x = randn(rng, 2, 1, 32, 32)
        label = rng.randint(0, 10, size=(2,)).astype(np.int32)
        pt = {k: t(v, True) for k, v in params.items()}
        logits, kinks = lenet_forward(pt, t(x))
        if near_kink(kinks, LENET_MARGIN):
            continue
        loss = TF.cross_entropy(logits, torch.from_numpy(label.astype(np.int64)))
        gs = torch.autograd.grad(loss, list(pt.values()))
        return {
            "name": "lenet_batch2",
            "op": "lenet",
            "args": {"loss": "crossEntropy", "reduction": "mean"},
            "inputs": {"inp": enc(x), "label": enc(label)},
            "params": {k: enc(v) for k, v in params.items()},
            "outputs": {"logits": expected(logits), "loss": expected(loss)},
            "grads": {k: expected(g) for k, g in zip(pt, gs)},
        }
    raise RuntimeError("no LeNet draw clear of ReLU/max-pool kinks")


# ---------------------------------------------------------------- main

def write(name, cases):
    path = os.path.join(OUT_DIR, f"{name}.json")
    doc = {"generator": "scripts/goldens/make_goldens.py", "torch": torch.__version__, "cases": cases}
    with open(path, "w") as f:
        f.write(dumps(doc) + "\n")
    print(f"{os.path.relpath(path)}: {len(cases)} cases, {os.path.getsize(path)} bytes")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    write("conv2d", conv2d_cases())
    write("pool", pool_cases())
    write("batchnorm", batchnorm_cases())
    write("activation", activation_cases())
    write("cross_entropy", cross_entropy_cases())
    write("lenet", [lenet_case()])


if __name__ == "__main__":
    main()
