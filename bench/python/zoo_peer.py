"""PyTorch side of bench/src/zoo.ts: the same networks (packages/models-zoo/python/torch_zoo.py)
timed on the CPU with the thread count of our cpu backend, ONNX export of our weights for the
onnxruntime-node peer, GEMM peak and per-layer-kind GFLOP/s. Prints one JSON object.

  zoo_peer.py export <model> <weights.bin> <out.onnx>
  zoo_peer.py train-resnet18 <threads> <batch> <steps>
  zoo_peer.py train-gpt <threads> <batch> <steps>
  zoo_peer.py train-resnet50 <threads> <batch> <steps>   (224² input)
  zoo_peer.py layers <threads>
"""
import json
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'packages', 'models-zoo', 'python'))
import torch_zoo  # noqa: E402


def read_weights(path):
    """Our bench's weight file: u32 header length, JSON [{name, shape, offset}], float32 data."""
    with open(path, 'rb') as f:
        raw = f.read()
    n = int.from_bytes(raw[:4], 'little')
    header = json.loads(raw[4:4 + n])
    data = np.frombuffer(raw, dtype=np.float32, offset=4 + n)
    return {e['name']: data[e['offset']:e['offset'] + int(np.prod(e['shape']))].reshape(e['shape']) for e in header}


def build(name):
    if name == 'resnet50':
        return torch_zoo.resnet50()
    if name == 'shufflenet_v2_x1_0':
        return torch_zoo.shufflenet_v2('1.0x')
    if name == 'mobilenet_v2':
        return torch_zoo.mobilenet_v2()
    raise SystemExit(f'zoo_peer: no model {name}')


def export(name, weights, out):
    model = build(name)
    torch_zoo.load_ours(model, read_weights(weights))
    model.eval()
    x = torch.randn(1, 3, 224, 224)
    torch.onnx.export(model, x, out + '.tmp', input_names=['x'], output_names=['y'], dynamic_axes={'x': {0: 'n'}, 'y': {0: 'n'}}, opset_version=13)
    os.replace(out + '.tmp', out)
    return {'onnx': out}


def timed_steps(step, steps):
    with open('/proc/self/statm') as f:  # RSS before the first step (the loaded libraries and model)
        loaded_rss = int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2 ** 20
    times = []
    cpu = 0.0
    for i in range(steps + 2):
        t0 = time.perf_counter()
        c0 = time.process_time()
        step()
        if i >= 2:
            times.append((time.perf_counter() - t0) * 1000)
            cpu += time.process_time() - c0
    # process CPU time per step (all threads): the steadier figure on a shared machine
    return {'loadedRssMiB': loaded_rss, 'medianMs': statistics.median(times), 'minMs': min(times), 'maxMs': max(times), 'runs': len(times),
            'cpuMsPerStep': cpu * 1000 / len(times),
            'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def train(model, x, y, steps):
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()

    def step():
        opt.zero_grad()
        out = model(x)
        loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
        loss.backward()
        opt.step()
    return timed_steps(step, steps)


def layers():
    def rate(flops, fn, runs=10):
        fn()
        ts = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        return flops / statistics.median(ts) / 1e9

    out = {}
    a = torch.randn(2048, 2048)
    out['sgemm 2048³ (peak proxy)'] = rate(2 * 2048 ** 3, lambda: a @ a)
    with torch.no_grad():
        for kind, (n, c, h, o, k, g, s) in LAYERS.items():
            x = torch.randn(n, c, h, h)
            w = torch.randn(o, c // g, k, k)
            oh = (h + 2 * (k // 2) - k) // s + 1
            out[kind] = rate(2 * n * o * (c // g) * k * k * oh * oh,
                             lambda: F.conv2d(x, w, stride=s, padding=k // 2, groups=g))
    return out


# kind: (batch, in channels, side, out channels, kernel, groups, stride) — padding k // 2
LAYERS = {
    'conv 3×3 64→64 @56² b8': (8, 64, 56, 64, 3, 1, 1),
    'conv 1×1 256→64 @56² b8': (8, 256, 56, 64, 1, 1, 1),
    'depthwise 3×3 144 @56² b8': (8, 144, 56, 144, 3, 144, 1),
    'depthwise 3×3 s2 96 @112² b1': (1, 96, 112, 96, 3, 96, 2),
    'depthwise 3×3 576 @14² b1': (1, 576, 14, 576, 3, 576, 1),
    'grouped 3×3 128 g32 @28² b8': (8, 128, 28, 128, 3, 32, 1),
    'grouped 1×1 240 g3 @28² b8': (8, 240, 28, 240, 1, 3, 1),
}


def set_blas_threads(n):
    """Debian's torch runs Linear's products on the system OpenBLAS, whose thread count
    torch.set_num_threads leaves alone (at 1 thread its idle workers spin on the second core)."""
    import ctypes
    try:
        ctypes.CDLL('libopenblas.so.0').openblas_set_num_threads(n)
    except (OSError, AttributeError):
        pass


def main():
    cmd = sys.argv[1]
    if cmd == 'export':
        r = export(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        torch.set_num_threads(int(sys.argv[2]))
        set_blas_threads(int(sys.argv[2]))
        torch.manual_seed(0)
        if cmd == 'train-resnet18':
            b, steps = int(sys.argv[3]), int(sys.argv[4])
            r = train(torch_zoo.resnet18(stem='cifar', numClasses=10), torch.randn(b, 3, 32, 32), torch.randint(0, 10, (b,)), steps)
        elif cmd == 'train-resnet50':
            b, steps = int(sys.argv[3]), int(sys.argv[4])
            r = train(torch_zoo.resnet50(), torch.randn(b, 3, 224, 224), torch.randint(0, 1000, (b,)), steps)
        elif cmd == 'train-gpt':
            b, steps = int(sys.argv[3]), int(sys.argv[4])
            r = train(torch_zoo.CharGPT(96, 64, 64, 4, 2), torch.randint(0, 96, (b, 64)), torch.randint(0, 96, (b, 64)), steps)
        elif cmd == 'layers':
            r = layers()
        else:
            raise SystemExit(f'zoo_peer: unknown command {cmd}')
    r['torch'] = torch.__version__
    r['threads'] = torch.get_num_threads()
    print(json.dumps(r))


main()
