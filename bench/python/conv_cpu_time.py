"""PyTorch side of bench/src/conv-cpu-time.ts: CPU ms per call (25th percentile, process CPU time)
of the forward, input gradient and filter gradient of the layers given as JSON on argv
(name, n, c, side, o, k, stride, pad, uses).

  conv_cpu_time.py <threads> '<json layers>'
"""
import json
import sys
import time

import torch
import torch.nn.functional as F


def cpu_ms(fn):
    fn()
    ts = []
    w0 = time.perf_counter()
    while len(ts) < 5 or (time.perf_counter() - w0 < 1.5 and len(ts) < 40):
        a = time.process_time()
        fn()
        ts.append((time.process_time() - a) * 1000)
    ts.sort()
    return ts[len(ts) // 4]


def main():
    torch.set_num_threads(int(sys.argv[1]))
    rows = {}
    for name, n, c, side, o, k, s, pad, _uses in json.loads(sys.argv[2]):
        torch.manual_seed(0)
        x = torch.randn(n, c, side, side)
        w = torch.randn(o, c, k, k)
        oh = (side + 2 * pad - k) // s + 1
        dy = torch.randn(n, o, oh, oh)
        with torch.no_grad():
            rows[name] = [
                cpu_ms(lambda: F.conv2d(x, w, stride=s, padding=pad)),
                cpu_ms(lambda: torch.nn.grad.conv2d_input(x.shape, w, dy, stride=s, padding=pad)),
                cpu_ms(lambda: torch.nn.grad.conv2d_weight(x, w.shape, dy, stride=s, padding=pad)),
            ]
    print(json.dumps({'torch': torch.__version__, 'rows': rows}))


if __name__ == '__main__':
    main()
