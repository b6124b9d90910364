"""PyTorch side of bench/src/conv.ts's ResNet rows: forward, input-gradient and filter-gradient
GFLOP/s of the layers given as JSON on argv (name, n, c, side, o, k, stride, pad), at the thread
count of our cpu backend. Prints one JSON object {torch, rows: {name: [fwd, bwd-input, bwd-filter]}}.

  conv_peer.py <threads> '<json layers>' <min seconds per pass>
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def rate(flops, fn, min_s):
    fn()
    ts = []
    t0 = time.perf_counter()
    while len(ts) < 5 or (time.perf_counter() - t0 < min_s and len(ts) < 200):
        a = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - a)
    return flops / statistics.median(ts) / 1e9


def main():
    torch.set_num_threads(int(sys.argv[1]))
    layers = json.loads(sys.argv[2])
    min_s = float(sys.argv[3])
    rows = {}
    for name, n, c, side, o, k, s, pad in layers:
        torch.manual_seed(0)
        x = torch.randn(n, c, side, side)
        w = torch.randn(o, c, k, k)
        oh = (side + 2 * pad - k) // s + 1
        dy = torch.randn(n, o, oh, oh)
        flops = 2 * n * o * c * k * k * oh * oh
        with torch.no_grad():
            fwd = rate(flops, lambda: F.conv2d(x, w, stride=s, padding=pad), min_s)
            bwd_in = rate(flops, lambda: torch.nn.grad.conv2d_input(x.shape, w, dy, stride=s, padding=pad), min_s)
            bwd_w = rate(flops, lambda: torch.nn.grad.conv2d_weight(x, w.shape, dy, stride=s, padding=pad), min_s)
        rows[name] = [fwd, bwd_in, bwd_w]
    print(json.dumps({'torch': torch.__version__, 'rows': rows}))


if __name__ == '__main__':
    main()
