"""Golden optimizer and LR-schedule values from PyTorch, read by ../golden.test.ts.

Run with Debian's Python and python3-torch (1.13):  /usr/bin/python3 make-golden.py
The problem: w (2x3) and b (3,) minimise  sum(c*w*w) + sum(d*w) + sum(e*(b-t)^2);
the test builds the same loss with @mge/core, takes gradients with GradManager, and
compares the parameters after every step.
"""
import json
import os

import torch

torch.set_default_dtype(torch.float32)
W0 = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
B0 = [0.1, -0.2, 0.3]
C = [[1.0, 0.5, 2.0], [0.25, 1.5, 1.0]]
D = [[0.1, -0.3, 0.2], [0.0, 0.4, -0.1]]
E = [1.0, 2.0, 0.5]
T = [1.0, -1.0, 0.5]
STEPS = 6


def loss_fn(w, b):
    c, d, e, t = (torch.tensor(x) for x in (C, D, E, T))
    return (c * w * w).sum() + (d * w).sum() + (e * (b - t) ** 2).sum()


def run(make):
    w = torch.tensor(W0, requires_grad=True)
    b = torch.tensor(B0, requires_grad=True)
    opt = make(w, b)
    out = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_fn(w, b).backward()
        opt.step()
        out.append({"w": w.detach().reshape(-1).tolist(), "b": b.detach().tolist()})
    return out


cases = {
    "sgd": (dict(kind="SGD", options=dict(lr=0.1)), lambda w, b: torch.optim.SGD([w, b], lr=0.1)),
    "sgd-momentum": (
        dict(kind="SGD", options=dict(lr=0.05, momentum=0.9)),
        lambda w, b: torch.optim.SGD([w, b], lr=0.05, momentum=0.9),
    ),
    "sgd-nesterov-wd": (
        dict(kind="SGD", options=dict(lr=0.05, momentum=0.8, nesterov=True, weightDecay=0.01)),
        lambda w, b: torch.optim.SGD([w, b], lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01),
    ),
    "sgd-groups": (
        dict(kind="SGD", options=dict(lr=0.02), groups=[dict(lr=0.1, momentum=0.9), dict()]),
        lambda w, b: torch.optim.SGD([dict(params=[w], lr=0.1, momentum=0.9), dict(params=[b])], lr=0.02),
    ),
    "adam": (dict(kind="Adam", options=dict(lr=0.01)), lambda w, b: torch.optim.Adam([w, b], lr=0.01)),
    "adam-wd-betas": (
        dict(kind="Adam", options=dict(lr=0.05, betas=[0.8, 0.99], eps=1e-6, weightDecay=0.1)),
        lambda w, b: torch.optim.Adam([w, b], lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    ),
    "adamw-default-decay": (
        dict(kind="AdamW", options=dict(lr=0.01)),
        lambda w, b: torch.optim.AdamW([w, b], lr=0.01),
    ),
    "adamw-wd": (
        dict(kind="AdamW", options=dict(lr=0.05, weightDecay=0.3)),
        lambda w, b: torch.optim.AdamW([w, b], lr=0.05, weight_decay=0.3),
    ),
}


def schedule(make_sched, epochs):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make_sched(opt)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(epochs - 1):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


out = {
    "problem": dict(W0=W0, B0=B0, C=C, D=D, E=E, T=T, steps=STEPS),
    "optimizers": {name: dict(**spec, params=run(make)) for name, (spec, make) in cases.items()},
    "schedules": {
        "multistep": dict(
            milestones=[2, 4], gamma=0.5,
            lrs=schedule(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[2, 4], gamma=0.5), 7),
        ),
        "cosine": dict(
            tMax=5, etaMin=0.001,
            lrs=schedule(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=0.001), 11),
        ),
    },
    "torch": torch.__version__,
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.json"), "w") as f:
    json.dump(out, f, indent=1)
