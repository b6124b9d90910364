"""Native peers for `pnpm bench`, run with /usr/bin/python3 when it is installed.

  python_peers.py sgemm N QUICK   OpenBLAS cblas_sgemm (libopenblas.so.0 through ctypes, numpy
                                  buffers) and PyTorch torch.mm, at 1 and 2 threads
  python_peers.py lenet QUICK     PyTorch 1.13 LeNet (the same network as @mge/models-zoo's):
                                  training step b64/b256 (SGD momentum 0.9, cross-entropy),
                                  inference b256, latency b1, at 2 threads

Prints one JSON list of rows {workload, impl, medianMs, minMs, maxMs, runs, value, unit}; a peer
that is not installed is left out (its reason goes to stderr).
"""
import ctypes
import ctypes.util
import json
import sys
import time


def measure(fn, quick, min_runs=10, warmup=3, min_time=2.0, max_runs=1000):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    budget = 0.3 if quick else min_time
    while len(times) < min_runs or (time.perf_counter() - start < budget and len(times) < max_runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"medianMs": times[len(times) // 2], "minMs": times[0], "maxMs": times[-1], "runs": len(times)}


def row(workload, impl, t, value, unit):
    return {"workload": workload, "impl": impl, **t, "value": value, "unit": unit}


def openblas():
    for name in ("libopenblas.so.0", ctypes.util.find_library("openblas")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.cblas_sgemm  # noqa: B018 (raises if absent)
            return lib
        except OSError:
            continue
    return None


def bench_sgemm(n, quick):
    import numpy as np

    rows = []
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.empty((n, n), dtype=np.float32)
    flops = 2.0 * n * n * n
    workload = f"sgemm {n}x{n}x{n}"
    lib = openblas()
    if lib is None:
        print("OpenBLAS (libopenblas.so.0) is not installed: apt install libopenblas0-pthread", file=sys.stderr)
    else:
        ptr = ctypes.POINTER(ctypes.c_float)
        lib.cblas_sgemm.argtypes = [ctypes.c_int] * 6 + [ctypes.c_float, ptr, ctypes.c_int, ptr, ctypes.c_int,
                                                          ctypes.c_float, ptr, ctypes.c_int]
        pa, pb, pc = (x.ctypes.data_as(ptr) for x in (a, b, c))
        get_config = getattr(lib, "openblas_get_config", None)
        version = ""
        if get_config:
            get_config.restype = ctypes.c_char_p
            version = " " + get_config().decode().split()[1] if len(get_config().decode().split()) > 1 else ""
        for threads in (1, 2):
            lib.openblas_set_num_threads(threads)
            # CblasRowMajor=101, CblasNoTrans=111
            t = measure(lambda: lib.cblas_sgemm(101, 111, 111, n, n, n, 1.0, pa, n, pb, n, 0.0, pc, n), quick)
            impl = f"OpenBLAS{version} ({threads} thread{'s' if threads > 1 else ''})"
            rows.append(row(workload, impl, t, flops / (t["medianMs"] * 1e6), "GFLOP/s"))
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed", file=sys.stderr)
        return rows
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    tc = torch.empty((n, n))
    for threads in (1, 2):
        torch.set_num_threads(threads)
        # Debian's torch runs mm on the system BLAS (OpenBLAS), whose own thread count
        # torch.set_num_threads does not set: without this its "1 thread" row ran on 2
        if lib is not None:
            lib.openblas_set_num_threads(threads)
        t = measure(lambda: torch.mm(ta, tb, out=tc), quick)
        impl = f"PyTorch {torch.__version__.split('+')[0]} mm ({threads} thread{'s' if threads > 1 else ''})"
        rows.append(row(workload, impl, t, flops / (t["medianMs"] * 1e6), "GFLOP/s"))
    return rows


def bench_lenet(quick):
    try:
        import torch
        from torch import nn
    except ImportError:
        print("PyTorch is not installed", file=sys.stderr)
        return []
    torch.set_num_threads(2)
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    impl = f"PyTorch {torch.__version__.split('+')[0]} (2 threads)"
    rows = []
    for batch in (64, 256):
        x = torch.randn(batch, 1, 32, 32)
        y = torch.randint(0, 10, (batch,))

        def step():
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            loss.item()

        t = measure(step, quick, warmup=10)
        rows.append(row(f"lenet train step b{batch}", impl, t, batch * 1000 / t["medianMs"], "img/s"))
    model.eval()
    for batch in (256, 1):
        x = torch.randn(batch, 1, 32, 32)

        def infer():
            with torch.no_grad():
                model(x).numpy()

        t = measure(infer, quick, warmup=20, min_runs=200 if batch == 1 else 10, max_runs=20000 if batch == 1 else 1000)
        name = "lenet latency b1" if batch == 1 else f"lenet inference b{batch}"
        rows.append(row(name, impl, t, batch * 1000 / t["medianMs"], "img/s"))
    return rows


def main():
    what = sys.argv[1]
    quick = sys.argv[-1] == "1"
    rows = bench_sgemm(int(sys.argv[2]), quick) if what == "sgemm" else bench_lenet(quick)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
