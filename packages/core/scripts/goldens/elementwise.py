#!/usr/bin/env python3
"""PyTorch golden values for every numeric row of core's elementwise operator table.

Writes test/fixtures/elementwise-torch.json: for each operator, float32 inputs, the float64
forward value and the gradient of sum(out * cotangent) with respect to each input.
Run with the apt python3-torch (1.13):  /usr/bin/python3 scripts/goldens/elementwise.py
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as TF

rng = np.random.default_rng(11)
N = 16


def inputs(domain):
    if domain == "positive":
        x = rng.uniform(0.5, 2.0, N)
    elif domain == "unit":
        x = rng.uniform(-1.0, 1.0, N)
    else:
        x = rng.normal(0.0, 1.5, N)
    return x.astype(np.float32)


UNARY = {
    "neg": ("normal", torch.neg),
    "abs": ("normal", torch.abs),
    "sign": ("normal", torch.sign),
    "exp": ("normal", torch.exp),
    "log": ("positive", torch.log),
    "sqrt": ("positive", torch.sqrt),
    "sigmoid": ("normal", torch.sigmoid),
    "tanh": ("normal", torch.tanh),
    "relu": ("normal", torch.relu),
    "floor": ("normal", torch.floor),
    "ceil": ("normal", torch.ceil),
    "round": ("normal", torch.round),
    "sin": ("normal", torch.sin),
    "cos": ("normal", torch.cos),
    "erf": ("unit", torch.erf),
    "log1p": ("positive", torch.log1p),
    "expm1": ("normal", torch.expm1),
    "tan": ("unit", torch.tan),
    "softplus": ("normal", TF.softplus),
}

BINARY = {
    "add": ("normal", "normal", torch.add),
    "sub": ("normal", "normal", torch.sub),
    "mul": ("normal", "normal", torch.mul),
    "div": ("normal", "positive", torch.div),
    "pow": ("positive", "normal", torch.pow),
    "maximum": ("normal", "normal", torch.maximum),
    "minimum": ("normal", "normal", torch.minimum),
}


def grads(fn, xs):
    ts = [torch.tensor(x.astype(np.float64), requires_grad=True) for x in xs]
    out = fn(*ts)
    cot = rng.normal(0.0, 1.0, N)
    (out * torch.tensor(cot)).sum().backward()
    return out.detach().numpy(), cot, [t.grad.numpy() for t in ts]


cases = {}
for name, (domain, fn) in UNARY.items():
    x = inputs(domain)
    out, cot, (dx,) = grads(fn, [x])
    cases[name] = {"inputs": [x.tolist()], "out": out.tolist(), "cotangent": cot.tolist(), "grads": [dx.tolist()]}
for name, (da, db, fn) in BINARY.items():
    a, b = inputs(da), inputs(db)
    out, cot, (ga, gb) = grads(fn, [a, b])
    cases[name] = {"inputs": [a.tolist(), b.tolist()], "out": out.tolist(), "cotangent": cot.tolist(), "grads": [ga.tolist(), gb.tolist()]}

path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "elementwise-torch.json")
with open(path, "w") as f:
    json.dump({"generator": "scripts/goldens/elementwise.py", "torch": torch.__version__, "cases": cases}, f)
    f.write("\n")
print(f"wrote {len(cases)} operators to {os.path.normpath(path)}")
