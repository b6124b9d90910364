#!/usr/bin/python3
"""Golden values for the layer catalogue (activations, indexing and sorting, losses, recurrent
layers, attention), computed with PyTorch 1.13 (Debian python3-torch).

Run:  /usr/bin/python3 scripts/goldens/make_catalogue_goldens.py
Writes packages/functional/test/fixtures/catalogue_*.json in make_goldens.py's format (its
encoding and case helpers are reused). A case whose op is a module (`RNN`, `LSTM`, `GRU`,
`MultiHeadAttention`) also has `params`: the state dict in MegEngine's layout with camelCase keys
(PyTorch's weights repacked where MegEngine's layout differs), which the test loads with
loadStateDict; its `grads` then cover parameters as well as inputs. Several
outputs (an RNN's output and final state) are flattened and concatenated into `out`.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as TF

sys.path.insert(0, os.path.dirname(__file__))
from make_goldens import MARGIN, OUT_DIR, case, dumps, enc, expected, quant, randn, t  # noqa: E402

torch.manual_seed(0)


def away_from(rng, shape, kinks, scale=2.0):
    """Random inputs no closer than MARGIN to any kink, where gradients are one-sided."""
    while True:
        x = randn(rng, *shape, scale=scale)
        if all(np.all(np.abs(x - k) >= MARGIN) for k in kinks):
            return x


def camel(key):
    """weight_ih_l0_reverse -> weightIhL0Reverse; out_proj.weight -> outProj.weight."""
    def one(part):
        words = part.split("_")
        return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])
    return ".".join(one(p) for p in key.split("."))


def flat(*outs):
    return torch.cat([o.reshape(-1) for o in outs])


# ---------------------------------------------------------------- activations

def activation_cases():
    cases = []
    specs = [
        ("relu6", "relu6", [0, 6], lambda x: TF.relu6(x), 4.0),
        ("hswish", "hswish", [-3, 3], TF.hardswish, 3.0),
        ("hsigmoid", "hsigmoid", [-3, 3], TF.hardsigmoid, 3.0),
        ("softplus", "softplus", [], TF.softplus, 3.0),
        ("softplus_large", "softplus", [], TF.softplus, 40.0),
        ("logsigmoid", "logsigmoid", [], TF.logsigmoid, 3.0),
        ("logsigmoid_large", "logsigmoid", [], TF.logsigmoid, 40.0),
        ("mish", "mish", [], TF.mish, 3.0),
        ("silu", "silu", [], TF.silu, 3.0),
    ]
    for i, (name, op, kinks, fn, scale) in enumerate(specs):
        rng = np.random.RandomState(1100 + i)
        x = away_from(rng, (3, 7), kinks, scale)
        xt = t(x, True)
        cases.append(case(name, op, {}, {"inp": (x, xt)}, fn(xt), rng, ["inp"]))
    for i, (name, shape, nw) in enumerate([("prelu_shared", (2, 3, 4), 1), ("prelu_per_channel", (2, 3, 2, 2), 3), ("prelu_batch1", (1, 4), 4)]):
        rng = np.random.RandomState(1150 + i)
        x = away_from(rng, shape, [0])
        w = quant(rng.uniform(0.05, 0.5, nw))
        xt, wt = t(x, True), t(w, True)
        cases.append(case(name, "prelu", {}, {"inp": (x, xt), "weight": (w, wt)}, TF.prelu(xt, wt), rng, ["inp", "weight"]))
    return cases


# ---------------------------------------------------------------- indexing, sorting, scans

def indexing_cases():
    cases = []
    rng = np.random.RandomState(1200)
    x = randn(rng, 3, 5)
    idx = rng.randint(0, 5, (3, 4)).astype(np.int32)
    xt = t(x, True)
    cases.append(case("gather_axis1", "gather", {"axis": 1}, {"inp": (x, xt), "index": (idx, None)}, torch.gather(xt, 1, t(idx).long()), rng, ["inp"]))

    rng = np.random.RandomState(1201)
    x = randn(rng, 4, 3, 2)
    idx = rng.randint(0, 4, (2, 3, 2)).astype(np.int32)
    xt = t(x, True)
    cases.append(case("gather_axis0_3d_smaller", "gather", {"axis": 0}, {"inp": (x, xt), "index": (idx, None)}, torch.gather(xt, 0, t(idx).long()), rng, ["inp"]))

    rng = np.random.RandomState(1202)
    x = randn(rng, 3, 5)
    idx = np.stack([rng.permutation(5)[:3] for _ in range(3)]).astype(np.int32)  # unique per row
    src = randn(rng, 3, 3)
    xt, st = t(x, True), t(src, True)
    cases.append(case("scatter_axis1", "scatter", {"axis": 1}, {"inp": (x, xt), "index": (idx, None), "source": (src, st)},
                      torch.scatter(xt, 1, t(idx).long(), st), rng, ["inp", "source"]))

    rng = np.random.RandomState(1203)
    x = randn(rng, 4, 3)
    idx = rng.randint(0, 4, (6, 3)).astype(np.int32)  # repeats add up
    src = randn(rng, 6, 3)
    xt, st = t(x, True), t(src, True)
    cases.append(case("scatter_add_axis0_repeats", "scatterAdd", {"axis": 0}, {"inp": (x, xt), "index": (idx, None), "source": (src, st)},
                      torch.scatter_add(xt, 0, t(idx).long(), st), rng, ["inp", "source"]))

    rng = np.random.RandomState(1204)
    x = randn(rng, 2, 5, 3)
    idx = rng.randint(0, 5, (2, 3)).astype(np.int32)
    xt = t(x, True)
    out = torch.gather(xt, 1, t(idx).long().unsqueeze(1)).squeeze(1)
    cases.append(case("indexing_one_hot_axis1", "indexingOneHot", {"axis": 1}, {"src": (x, xt), "index": (idx, None)}, out, rng, ["src"]))

    for i, (shape, axis) in enumerate([((7,), 0), ((3, 6), 1), ((5, 2), 0), ((1, 9), -1), ((0, 4), 1)]):
        rng = np.random.RandomState(1210 + i)
        x = randn(rng, *shape)
        xt = t(x, True)
        cases.append(case(f"cumsum_{'x'.join(map(str, shape))}_axis{axis}", "cumsum", {"axis": axis}, {"inp": (x, xt)}, torch.cumsum(xt, axis), rng, ["inp"]))

    for i, (shape, desc) in enumerate([((6,), False), ((3, 5), False), ((3, 5), True), ((1, 4), True)]):
        rng = np.random.RandomState(1220 + i)
        x = quant(rng.permutation(np.arange(int(np.prod(shape))) * 0.37 - 1.1).reshape(shape))  # distinct
        xt = t(x, True)
        v, ix = torch.sort(xt, -1, descending=desc)
        c = case(f"sort_{'x'.join(map(str, shape))}{'_desc' if desc else ''}", "sort", {"descending": desc}, {"inp": (x, xt)}, v, rng, ["inp"])
        c["outputs"]["indices"] = enc(ix.numpy().astype(np.int32))
        cases.append(c)

    # F.argsort: the indices exactly; the values it picks (gathered) carry the gradient
    for i, (shape, desc) in enumerate([((5,), True), ((2, 7), False), ((0, 3), True)]):
        rng = np.random.RandomState(1225 + i)
        x = quant(rng.permutation(np.arange(int(np.prod(shape))) * 0.43 - 1.3).reshape(shape))
        xt = t(x, True)
        ix = torch.argsort(xt, -1, descending=desc)
        c = case(f"argsort_{'x'.join(map(str, shape))}{'_desc' if desc else ''}", "argsort", {"descending": desc}, {"inp": (x, xt)},
                 torch.gather(xt, -1, ix), rng, ["inp"])
        c["outputs"]["indices"] = enc(ix.numpy().astype(np.int32))
        cases.append(c)

    # F.oneHot (float32 here; PyTorch's int64 values): no gradient
    for i, (shape, n) in enumerate([((4,), 3), ((2, 3), 5), ((0,), 2)]):
        rng = np.random.RandomState(1228 + i)
        label = rng.randint(0, n, shape).astype(np.int32)
        out = TF.one_hot(t(label).long(), n).float()
        cases.append({"name": f"one_hot_{'x'.join(map(str, shape))}_{n}", "op": "oneHot", "args": {"numClasses": n},
                      "inputs": {"label": enc(label)}, "outputs": {"out": expected(out)},
                      "cotangent": enc(np.zeros(tuple(out.shape), dtype=np.float32)), "grads": {}})

    for i, (shape, k, desc, kth) in enumerate([((2, 6), 3, False, False), ((2, 6), 2, True, False), ((7,), 4, True, True), ((3, 5), 5, False, False),
                                                 ((2, 48), 5, True, False), ((0, 6), 2, False, False)]):
        rng = np.random.RandomState(1230 + i)
        x = quant(rng.permutation(np.arange(int(np.prod(shape))) * 0.29 - 0.9).reshape(shape))
        xt = t(x, True)
        v, ix = torch.topk(xt, k, -1, largest=desc, sorted=True)
        if kth:
            v, ix = v[..., -1], ix[..., -1]
        c = case(f"topk_{'x'.join(map(str, shape))}_k{k}{'_desc' if desc else ''}{'_kth' if kth else ''}", "topk",
                 {"k": k, "descending": desc, "kthOnly": kth}, {"inp": (x, xt)}, v, rng, ["inp"])
        c["outputs"]["indices"] = enc(ix.numpy().astype(np.int32))
        cases.append(c)

    for i, (shape, pad) in enumerate([((2, 3), None), ((4,), 1), ((1, 5), 0)]):
        rng = np.random.RandomState(1240 + i)
        w = randn(rng, 6, 3)
        idx = rng.randint(0, 6, shape).astype(np.int32)
        if pad is not None:
            idx.flat[0] = pad
        wt = t(w, True)
        out = TF.embedding(t(idx).long(), wt, padding_idx=pad)
        cases.append(case(f"embedding_{'x'.join(map(str, shape))}{'' if pad is None else f'_pad{pad}'}", "embedding",
                          {"paddingIdx": pad}, {"inp": (idx, None), "weight": (w, wt)}, out, rng, ["weight"]))
    return cases


# ---------------------------------------------------------------- losses

def loss_cases():
    cases = []
    for i, (beta, red) in enumerate([(1.0, "mean"), (0.5, "sum"), (2.0, "none")]):
        rng = np.random.RandomState(1300 + i)
        p = randn(rng, 3, 4, scale=2.0)
        while True:
            y = randn(rng, 3, 4, scale=2.0)
            if np.all(np.abs(np.abs(p - y) - beta) >= MARGIN) and np.all(np.abs(p - y) >= MARGIN):
                break
        pt, yt = t(p, True), t(y, True)
        out = TF.smooth_l1_loss(pt, yt, reduction=red, beta=beta)
        cases.append(case(f"smooth_l1_beta{beta}_{red}", "smoothL1Loss", {"beta": beta, "reduction": red}, {"pred": (p, pt), "label": (y, yt)}, out, rng, ["pred", "label"]))
    rng = np.random.RandomState(1310)
    p, y = randn(rng, 4, 3, scale=2.0), randn(rng, 4, 3, scale=2.0)
    pt, yt = t(p, True), t(y, True)
    cases.append(case("huber_delta1.5", "huberLoss", {"delta": 1.5, "reduction": "mean"}, {"pred": (p, pt), "label": (y, yt)},
                      TF.huber_loss(pt, yt, delta=1.5), rng, ["pred", "label"]))
    for i, (norm, red) in enumerate([("L1", "mean"), ("L2", "sum"), ("L1", "none")]):
        rng = np.random.RandomState(1320 + i)
        y = np.where(rng.rand(3, 5) < 0.5, -1, 1).astype(np.float32)
        while True:
            p = randn(rng, 3, 5, scale=1.5)
            if np.all(np.abs(1 - p * y) >= MARGIN):
                break
        pt = t(p, True)
        margin = torch.relu(1 - pt * t(y))
        per = margin.sum(1) if norm == "L1" else (margin ** 2).sum(1)
        out = {"mean": per.mean(), "sum": per.sum(), "none": per}[red]
        cases.append(case(f"hinge_{norm}_{red}", "hingeLoss", {"norm": norm, "reduction": red}, {"pred": (p, pt), "label": (y, None)}, out, rng, ["pred"]))
    for i, (red, log_target) in enumerate([("mean", False), ("batchmean", False), ("sum", True), ("none", False)]):
        rng = np.random.RandomState(1330 + i)
        logits = randn(rng, 3, 4)
        p = quant(TF.log_softmax(torch.from_numpy(logits), 1).numpy(), 4)
        q = TF.softmax(torch.from_numpy(randn(rng, 3, 4)), 1).numpy()
        q[0, 1] = 0  # a zero target counts 0
        q = quant(q, 4)
        y = quant(np.log(np.maximum(q, 1e-4)), 4) if log_target else q
        pt = t(p, True)
        out = TF.kl_div(pt, t(y), reduction=red, log_target=log_target)
        cases.append(case(f"kl_div_{red}{'_log_target' if log_target else ''}", "klDiv", {"reduction": red, "logTarget": log_target},
                          {"pred": (p, pt), "label": (y, None)}, out, rng, ["pred"]))
    return cases


def ctc_cases():
    cases = []
    specs = [
        # name, T, N, C, S, pred lengths, label lengths, reduction, log_probs, labels (None: random)
        ("ctc_mean", 5, 2, 4, 2, [5, 5], [2, 2], "mean", False, None),
        ("ctc_lengths_sum", 6, 3, 5, 3, [6, 4, 5], [3, 1, 2], "sum", False, None),
        ("ctc_repeats_none", 6, 2, 3, 3, [6, 6], [3, 2], "none", False, [[1, 1, 2], [2, 2, 0]]),
        ("ctc_batch1_log_probs", 4, 1, 3, 2, [4], [2], "mean", True, None),
        ("ctc_blank2_empty_label", 4, 2, 3, 2, [4, 3], [1, 0], "none", False, [[1, 0], [0, 0]]),
    ]
    for i, (name, T, N, C, S, plen, llen, red, log_probs, labels) in enumerate(specs):
        rng = np.random.RandomState(1350 + i)
        blank = 2 if "blank2" in name else 0
        logits = randn(rng, T, N, C)
        if labels is None:
            labels = [[int(v) for v in rng.choice([c for c in range(C) if c != blank], S)] for _ in range(N)]
        lab = np.array(labels, dtype=np.int32)
        # PyTorch's ctc_loss gradient is only right after a log_softmax (it returns p − posterior, the
        # logits' gradient), so the case differentiates the logits; the test applies softmax or
        # logSoftmax itself and passes probabilities (MegEngine) or log-probabilities.
        lt = t(logits, True)
        out = TF.ctc_loss(TF.log_softmax(lt, 2), t(lab).long(), torch.tensor(plen), torch.tensor(llen), blank=blank, reduction=red)
        ins = {"logits": (logits, lt), "predLengths": (np.array(plen, dtype=np.int32), None), "label": (lab, None), "labelLengths": (np.array(llen, dtype=np.int32), None)}
        cases.append(case(name, "ctcLoss", {"blank": blank, "reduction": red, "logProbs": log_probs}, ins, out, rng, ["logits"]))
    return cases


# ---------------------------------------------------------------- recurrent

def cell_cases():
    cases = []
    specs = [("rnn_cell_tanh", "rnnCell", 1, "tanh", 3), ("rnn_cell_relu", "rnnCell", 1, "relu", 3), ("lstm_cell", "lstmCell", 4, None, 2),
             ("gru_cell", "gruCell", 3, None, 3), ("gru_cell_batch1", "gruCell", 3, None, 1)]
    for i, (name, op, gates, nl, n) in enumerate(specs):
        rng = np.random.RandomState(1400 + i)
        inp, hid = 4, 3
        x, h = randn(rng, n, inp), randn(rng, n, hid)
        wih, whh = randn(rng, gates * hid, inp, scale=0.5), randn(rng, gates * hid, hid, scale=0.5)
        bih, bhh = randn(rng, gates * hid, scale=0.5), randn(rng, gates * hid, scale=0.5)
        ins = {k: (v, t(v, True)) for k, v in [("inp", x), ("hx", h), ("weightIh", wih), ("weightHh", whh), ("biasIh", bih), ("biasHh", bhh)]}
        T = {k: v[1] for k, v in ins.items()}
        args = (T["inp"], T["hx"], T["weightIh"], T["weightHh"], T["biasIh"], T["biasHh"])
        if op == "rnnCell":
            out = (torch.rnn_tanh_cell if nl == "tanh" else torch.rnn_relu_cell)(*args)
            if nl == "relu" and torch.any(torch.abs(T["inp"] @ T["weightIh"].T + T["biasIh"] + T["hx"] @ T["weightHh"].T + T["biasHh"]) < MARGIN):
                raise RuntimeError("relu kink in rnn_cell_relu; change the seed")
        elif op == "lstmCell":
            c = randn(rng, n, hid)
            ins["cx"] = (c, t(c, True))
            hn, cn = torch.lstm_cell(T["inp"], (T["hx"], ins["cx"][1]), T["weightIh"], T["weightHh"], T["biasIh"], T["biasHh"])
            out = flat(hn, cn)
        else:
            out = torch.gru_cell(*args)
        cases.append(case(name, op, {"nonlinearity": nl} if nl else {}, ins, out, rng, list(ins)))
    # an LSTM step with projections (proj_size): PyTorch's LSTM over one step is exactly that cell
    for i, (name, n, inp, hid, proj, bias) in enumerate([("lstm_cell_proj", 2, 3, 4, 2, True), ("lstm_cell_proj_batch1_nobias", 1, 2, 3, 1, False)]):
        rng = np.random.RandomState(1450 + i)
        mod = torch.nn.LSTM(inp, hid, proj_size=proj, bias=bias)
        x, h, c = randn(rng, n, inp), randn(rng, n, proj), randn(rng, n, hid)
        w = {"weightIh": randn(rng, 4 * hid, inp, scale=0.5), "weightHh": randn(rng, 4 * hid, proj, scale=0.5),
             "weightHr": randn(rng, proj, hid, scale=0.5)}
        if bias:
            w.update(biasIh=randn(rng, 4 * hid, scale=0.5), biasHh=randn(rng, 4 * hid, scale=0.5))
        ins = {k: (v, t(v, True)) for k, v in [("inp", x), ("hx", h), ("cx", c), *w.items()]}
        T = {k: v[1] for k, v in ins.items()}
        gates = T["inp"] @ T["weightIh"].T + T["hx"] @ T["weightHh"].T
        if bias:
            gates = gates + T["biasIh"] + T["biasHh"]
        i_, f_, g_, o_ = gates.chunk(4, 1)
        cn = torch.sigmoid(f_) * T["cx"] + torch.sigmoid(i_) * torch.tanh(g_)
        hn = (torch.sigmoid(o_) * torch.tanh(cn)) @ T["weightHr"].T
        # the step above is PyTorch's LSTM with proj_size over one time step
        torch_names = {"weightIh": "weight_ih_l0", "weightHh": "weight_hh_l0", "weightHr": "weight_hr_l0", "biasIh": "bias_ih_l0", "biasHh": "bias_hh_l0"}
        with torch.no_grad():
            for k, v in w.items():
                getattr(mod, torch_names[k]).copy_(torch.from_numpy(v))
            _, (h_ref, c_ref) = mod(T["inp"][None], (T["hx"][None], T["cx"][None]))
        assert torch.allclose(h_ref[0], hn, atol=1e-6) and torch.allclose(c_ref[0], cn, atol=1e-6), name
        cases.append(case(name, "lstmCell", {}, ins, flat(hn, cn), rng, list(ins)))
    return cases


def module_case(name, op, args, module, inputs, run, rng, grad_inputs, layout=None):
    """A module's case: params under camelCase keys, grads of inputs and of every parameter.

    `layout(tensors, grads)` maps PyTorch's named parameters (numpy arrays) to MegEngine's
    camelCase state dict when the two differ; with grads=True it returns only the parameters
    the forward reads (the keys whose gradients are checked)."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.from_numpy(randn(rng, *p.shape, scale=0.4)))
    out = run(module, {k: v[1] for k, v in inputs.items()})
    g = quant(rng.standard_normal(tuple(out.shape)))
    named = dict(module.named_parameters())
    wanted = [inputs[k][1] for k in grad_inputs] + list(named.values())
    gs = torch.autograd.grad(out, wanted, grad_outputs=t(g))
    grads = {k: expected(v) for k, v in zip(grad_inputs, gs)}
    param_grads = {k: v.numpy() for k, v in zip(named, gs[len(grad_inputs):])}
    state = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    if layout is None:
        params = {camel(k): v for k, v in state.items()}
        param_grads = {camel(k): v for k, v in param_grads.items()}
    else:
        params, param_grads = layout(state, False), layout(param_grads, True)
    grads.update({k: expected(v) for k, v in param_grads.items()})
    return {
        "name": name, "op": op, "args": args,
        "inputs": {k: enc(v[0]) for k, v in inputs.items()},
        "params": {k: enc(v) for k, v in params.items()},
        "outputs": {"out": expected(out)}, "cotangent": enc(g), "grads": grads,
    }


def megengine_rnn_layout(L, D, bias, proj=0):
    """PyTorch's per-layer RNN weights -> MegEngine's: one `flattenWeights` (G, columns) holding,
    cell after cell (layer-major, forward direction first), W_ih, W_hh, b_ih, b_hh flattened
    (megdnn's packing), plus the per-cell modules `cells.<layer>.<direction>.*` MegEngine keeps
    in its state dict (the forward does not read them; here they hold the same values).
    With proj > 0 (an LSTM with projections) every cell's W_hr (proj, H) is stacked, cell after
    cell, into `projWeights` (cells·proj, H), and each cell module also holds its `weightHr`."""
    def layout(named, grads):
        parts, projs, out = [], [], {}
        for layer in range(L):
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                w_ih, w_hh = named[f"weight_ih{sfx}"], named[f"weight_hh{sfx}"]
                zeros = np.zeros(w_ih.shape[0], dtype=np.float32)
                b_ih, b_hh = (named[f"bias_ih{sfx}"], named[f"bias_hh{sfx}"]) if bias else (zeros, zeros)
                parts += [w_ih, w_hh] + ([b_ih, b_hh] if bias else [])
                cell = [("weightIh", w_ih), ("weightHh", w_hh), ("biasIh", b_ih), ("biasHh", b_hh)]
                if proj:
                    projs.append(named[f"weight_hr{sfx}"])
                    cell.append(("weightHr", projs[-1]))
                for k, v in cell:
                    out[f"cells.{layer}.{d}.{k}"] = v
        gates = parts[0].shape[0]
        flat_params = {"flattenWeights": np.concatenate([p.reshape(-1) for p in parts]).reshape(gates, -1)}
        if proj:
            flat_params["projWeights"] = np.concatenate(projs, 0)
        return flat_params if grads else {**flat_params, **out}
    return layout


def rnn_cases():
    cases = []
    specs = [
        # name, class, T, N, I, H, layers, bidirectional, batch_first, bias, with h0, extra
        ("rnn_1layer", "RNN", 4, 2, 3, 5, 1, False, False, True, False, {}),
        ("rnn_2layer_bidir_h0", "RNN", 3, 2, 3, 4, 2, True, False, True, True, {}),
        ("rnn_relu_batch_first_batch1", "RNN", 3, 1, 2, 3, 1, False, True, True, False, {"nonlinearity": "relu"}),
        ("lstm_2layer_bidir", "LSTM", 3, 2, 3, 4, 2, True, False, True, True, {}),
        ("lstm_batch_first_nobias", "LSTM", 4, 2, 3, 3, 1, False, True, False, False, {}),
        ("gru_2layer", "GRU", 3, 2, 4, 3, 2, False, False, True, True, {}),
        ("gru_bidir_batch_first", "GRU", 2, 3, 2, 3, 1, True, True, True, False, {}),
        ("lstm_proj_2layer_bidir_h0", "LSTM", 3, 2, 3, 5, 2, True, False, True, True, {"proj_size": 2}),
        ("lstm_proj_batch_first_nobias_batch1", "LSTM", 4, 1, 2, 4, 1, False, True, False, False, {"proj_size": 3}),
    ]
    for i, (name, cls, T, N, I, H, L, bi, bf, bias, with_h0, extra) in enumerate(specs):
        rng = np.random.RandomState(1500 + i)
        mod = getattr(torch.nn, cls)(I, H, num_layers=L, bidirectional=bi, batch_first=bf, bias=bias, **extra)
        x = randn(rng, *((N, T, I) if bf else (T, N, I)))
        inputs = {"inp": (x, t(x, True))}
        D = 2 if bi else 1
        P = extra.get("proj_size", 0)
        if with_h0:
            h0 = randn(rng, L * D, N, P or H)
            inputs["hx"] = (h0, t(h0, True))
            if cls == "LSTM":
                c0 = randn(rng, L * D, N, H)
                inputs["cx"] = (c0, t(c0, True))

        def run(m, ins, cls=cls):
            state = None
            if "hx" in ins:
                state = (ins["hx"], ins["cx"]) if cls == "LSTM" else ins["hx"]
            out, hn = m(ins["inp"], state)
            return flat(out, *hn) if cls == "LSTM" else flat(out, hn)

        args = {"numLayers": L, "bidirectional": bi, "batchFirst": bf, "bias": bias, "inputSize": I, "hiddenSize": H,
                **{camel(k): v for k, v in extra.items()}}
        cases.append(module_case(name, cls, args, mod, inputs, run, rng, list(inputs), megengine_rnn_layout(L, D, bias, P)))
    return cases


# ---------------------------------------------------------------- attention

def sdpa(q, k, v, mask=None, causal=False):
    s = q @ k.transpose(-2, -1) / np.sqrt(q.shape[-1])
    if causal:
        L, S = s.shape[-2:]
        s = s.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(), float("-inf"))
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else s + mask
    return torch.softmax(s, -1) @ v


def attention_cases():
    cases = []
    specs = [("sdpa_basic", (2, 3, 4), 5, None, False), ("sdpa_bool_mask", (2, 4, 3), 4, "bool", False),
             ("sdpa_causal", (1, 4, 2), 4, None, True), ("sdpa_float_mask_4d", (2, 2, 3, 4), 3, "float", False)]
    for i, (name, qshape, S, mask_kind, causal) in enumerate(specs):
        rng = np.random.RandomState(1600 + i)
        *lead, L, E = qshape
        q, k, v = randn(rng, *qshape), randn(rng, *lead, S, E), randn(rng, *lead, S, E + 1)
        ins = {"query": (q, t(q, True)), "key": (k, t(k, True)), "value": (v, t(v, True))}
        mask_t = None
        if mask_kind == "bool":
            m = rng.rand(L, S) < 0.7
            m[:, 0] = True  # every query sees a key
            ins["attnMask"] = (m, None)
            mask_t = torch.from_numpy(m)
        elif mask_kind == "float":
            m = randn(rng, L, S)
            ins["attnMask"] = (m, None)
            mask_t = torch.from_numpy(m)
        out = sdpa(ins["query"][1], ins["key"][1], ins["value"][1], mask_t, causal)
        c = case(name, "scaledDotProductAttention", {"isCausal": causal}, {kk: vv for kk, vv in ins.items()}, out, rng, ["query", "key", "value"])
        if mask_kind == "bool":
            c["inputs"]["attnMask"] = {"shape": [L, S], "dtype": "bool", "data": [int(b) for b in m.reshape(-1)]}
        cases.append(c)

    mspecs = [
        # name, L, N, S, E, heads, attn mask, key padding mask, kdim, vdim, bias, average weights
        ("mha_basic", 3, 2, 4, 8, 2, False, False, None, None, True, True),
        ("mha_masks", 4, 2, 3, 6, 3, True, True, None, None, True, False),
        ("mha_batch1", 2, 1, 3, 4, 1, False, False, None, None, True, True),
        ("mha_kdim_vdim", 3, 2, 4, 6, 2, False, False, 4, 5, True, False),
        ("mha_kdim_vdim_masks_nobias", 2, 3, 5, 4, 2, True, True, 3, 7, False, True),
    ]
    for i, (name, L, N, S, E, heads, attn_mask, pad_mask, kdim, vdim, bias, avg) in enumerate(mspecs):
        rng = np.random.RandomState(1700 + i)
        mod = torch.nn.MultiheadAttention(E, heads, bias=bias, kdim=kdim, vdim=vdim, batch_first=True)
        q, k, v = randn(rng, N, L, E), randn(rng, N, S, kdim or E), randn(rng, N, S, vdim or E)
        ins = {"query": (q, t(q, True)), "key": (k, t(k, True)), "value": (v, t(v, True))}
        am = kpm = None
        if attn_mask:
            am = rng.rand(L, S) < 0.3
            am[:, 0] = False
        if pad_mask:
            kpm = np.zeros((N, S), dtype=bool)
            kpm[1, -1] = True

        def run(m, T, am=am, kpm=kpm, avg=avg):
            out, w = m(T["query"], T["key"], T["value"], attn_mask=None if am is None else torch.from_numpy(am),
                       key_padding_mask=None if kpm is None else torch.from_numpy(kpm), average_attn_weights=avg)
            return flat(out, w)

        args = {"embedDim": E, "numHeads": heads, "kdim": kdim, "vdim": vdim, "bias": bias, "averageAttnWeights": avg}
        layout = megengine_mha_layout(E, kdim or E, vdim or E, bias)
        c = module_case(name, "MultiHeadAttention", args, mod, ins, run, rng, ["query", "key", "value"], layout)
        if am is not None:
            c["inputs"]["attnMask"] = {"shape": [L, S], "dtype": "bool", "data": [int(b) for b in am.reshape(-1)]}
        if kpm is not None:
            c["inputs"]["keyPaddingMask"] = {"shape": [N, S], "dtype": "bool", "data": [int(b) for b in kpm.reshape(-1)]}
        cases.append(c)
    return cases


def megengine_mha(q, k, v, E, heads, io, sizes, biases, kpm=None):
    """MegEngine's F.nn.multi_head_attention (megdnn's proxy): `io` packs the enabled projections'
    weights (in, out) in the order q, k, v, o, then the enabled biases; a projection of size 0 is
    skipped and each head then sees the whole input; scores scaled by 1/sqrt(E // heads), or
    1/sqrt(E) without a query projection. Composed from torch ops (PyTorch has no such options);
    `mha_reference_check` pins it to torch.nn.functional.multi_head_attention_forward."""
    N, L, _ = q.shape
    S = k.shape[1]
    inputs = {"q": E, "k": k.shape[2], "v": v.shape[2], "o": sizes["v"] or heads * v.shape[2]}
    flat_io, at, w, b = io.reshape(-1), 0, {}, {}
    for p in "qkvo":
        if sizes[p]:
            n = inputs[p] * sizes[p]
            w[p], at = flat_io[at:at + n].reshape(inputs[p], sizes[p]), at + n
    for p in "qkvo":
        if biases[p]:
            b[p], at = flat_io[at:at + sizes[p]], at + sizes[p]
    assert at == flat_io.shape[0]

    def project(x, p):
        if p not in w:
            return x
        return x @ w[p] + b[p] if p in b else x @ w[p]

    def split(x, T, p):
        F_ = x.shape[2]
        if p not in w:
            return x[:, None].expand(N, heads, T, F_).reshape(N * heads, T, F_)
        return x.reshape(N, T, heads, F_ // heads).permute(0, 2, 1, 3).reshape(N * heads, T, F_ // heads)

    qh, kh, vh = split(project(q, "q"), L, "q"), split(project(k, "k"), S, "k"), split(project(v, "v"), S, "v")
    scale = 1 / np.sqrt(E // heads if "q" in w else E)
    scores = qh @ kh.transpose(1, 2) * scale
    if kpm is not None:
        scores = scores.reshape(N, heads, L, S).masked_fill(torch.from_numpy(kpm)[:, None, None, :], float("-inf")).reshape(N * heads, L, S)
    weights = torch.softmax(scores, -1)
    ctx = weights @ vh
    dv = ctx.shape[2]
    merged = ctx.reshape(N, heads, L, dv).permute(0, 2, 1, 3).reshape(N, L, heads * dv)
    return project(merged, "o"), weights.reshape(N, heads, L, S)


def mha_reference_check():
    rng = np.random.RandomState(1799)
    E, heads, N, L, S = 6, 2, 2, 3, 4
    q, k, v = (torch.from_numpy(randn(rng, N, x, E)) for x in (L, S, S))
    mod = torch.nn.MultiheadAttention(E, heads, batch_first=True)
    named = {n: p.detach().numpy() for n, p in mod.named_parameters()}
    io = torch.from_numpy(megengine_mha_layout(E, E, E, True)(named, True)["ioWeightBias"])
    ours, _ = megengine_mha(q, k, v, E, heads, io, dict.fromkeys("qkvo", E), dict.fromkeys("qkvo", True))
    want, _ = mod(q, k, v)
    assert torch.allclose(ours, want, atol=1e-5), "megengine_mha disagrees with torch.nn.MultiheadAttention"


def mha_functional_cases():
    """F.nn.multiHeadAttention with MegEngine's per-projection sizes and bias flags."""
    mha_reference_check()
    cases = []
    specs = [
        # name, N, L, S, E, heads, kdim, vdim, proj sizes q k v o, biases q k v o, key padding
        ("mha_fn_qbias_vbias_kpm", 2, 3, 4, 6, 2, 4, 5, (6, 6, 6, 6), (True, False, True, False), True),
        ("mha_fn_obias_only_batch1", 1, 2, 3, 4, 2, 3, 3, (4, 4, 4, 4), (False, False, False, True), False),
        ("mha_fn_proj_sizes", 2, 2, 3, 6, 2, 5, 4, (8, 8, 6, 5), (True, True, False, True), False),
        ("mha_fn_no_k_v_proj", 1, 3, 2, 4, 2, 2, 3, (4, 0, 0, 4), (True, False, False, True), True),
        ("mha_fn_no_q_o_proj", 2, 2, 3, 3, 2, 4, 2, (0, 6, 4, 0), (False, True, True, False), False),
    ]
    for i, (name, N, L, S, E, heads, kdim, vdim, sizes, biases, pad) in enumerate(specs):
        rng = np.random.RandomState(1750 + i)
        sz, bs = dict(zip("qkvo", sizes)), dict(zip("qkvo", biases))
        inputs = {"q": E, "k": kdim, "v": vdim, "o": sz["v"] or heads * vdim}
        length = sum(inputs[p] * sz[p] for p in "qkvo") + sum(sz[p] for p in "qkvo" if bs[p])
        q, k, v, io = randn(rng, N, L, E), randn(rng, N, S, kdim), randn(rng, N, S, vdim), randn(rng, 1, length, scale=0.4)
        ins = {"query": (q, t(q, True)), "key": (k, t(k, True)), "value": (v, t(v, True)), "ioWeightBias": (io, t(io, True))}
        kpm = None
        if pad:
            kpm = np.zeros((N, S), dtype=bool)
            kpm[-1, -1] = True
        out, w = megengine_mha(ins["query"][1], ins["key"][1], ins["value"][1], E, heads, ins["ioWeightBias"][1], sz, bs, kpm)
        args = {"embedDim": E, "numHeads": heads, **{f"{p}projSize": sz[p] for p in "qkvo"}, **{f"{p}bias": bs[p] for p in "qkvo"}}
        c = case(name, "multiHeadAttention", args, ins, flat(out, w), rng, list(ins))
        if kpm is not None:
            c["inputs"]["keyPaddingMask"] = {"shape": [N, S], "dtype": "bool", "data": [int(x) for x in kpm.reshape(-1)]}
        cases.append(c)
    return cases


def megengine_mha_layout(E, kdim, vdim, bias):
    """PyTorch's MultiheadAttention weights -> MegEngine's single `ioWeightBias` (1, len): Wq, Wk,
    Wv, Wo transposed to (in, out) and flattened, then bq, bk, bv, bo (megdnn's packing)."""
    def layout(named, grads):
        if "in_proj_weight" in named:
            wq, wk, wv = np.split(named["in_proj_weight"], 3)
        else:
            wq, wk, wv = named["q_proj_weight"], named["k_proj_weight"], named["v_proj_weight"]
        parts = [wq.T, wk.T, wv.T, named["out_proj.weight"].T]
        if bias:
            parts += list(np.split(named["in_proj_bias"], 3)) + [named["out_proj.bias"]]
        packed = np.concatenate([np.ascontiguousarray(p).reshape(-1) for p in parts]).reshape(1, -1)
        assert packed.shape[1] == (2 * E + kdim + vdim) * E + (4 * E if bias else 0)
        return {"ioWeightBias": packed}
    return layout


def write(name, cases):
    path = os.path.join(OUT_DIR, f"{name}.json")
    doc = {"generator": "scripts/goldens/make_catalogue_goldens.py", "torch": torch.__version__, "cases": cases}
    with open(path, "w") as f:
        f.write(dumps(doc) + "\n")
    print(f"{os.path.relpath(path)}: {len(cases)} cases, {os.path.getsize(path)} bytes")


def main():
    write("catalogue_activation", activation_cases())
    write("catalogue_indexing", indexing_cases())
    write("catalogue_loss", loss_cases() + ctc_cases())
    write("catalogue_recurrent", cell_cases() + rnn_cases())
    write("catalogue_attention", attention_cases() + mha_functional_cases())


if __name__ == "__main__":
    main()
