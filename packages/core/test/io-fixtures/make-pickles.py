"""Writes the .pkl fixtures read by packages/core/test/io-pickle.test.ts.

Run with a Python that has numpy (Debian: /usr/bin/python3 with python3-numpy):
    /usr/bin/python3 make-pickles.py
It writes state-p{2,3,4,5}.pkl the way MegEngine's `mge.save(module.state_dict(), f)` does
(pickle of an OrderedDict of numpy arrays), expected.json with the values, and evil-*.pkl,
which reference globals a safe loader must refuse. With numpy >= 2 it writes
state-np2-p4.pkl instead (numpy 2 names the module numpy._core).
"""
import collections
import json
import os
import pickle
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def state():
    d = collections.OrderedDict()
    d["conv1.weight"] = (np.arange(18, dtype=np.float32) * 0.1 - 0.5).reshape(2, 1, 3, 3)
    d["conv1.bias"] = np.array([0.25, -1.5], dtype=np.float32)
    d["fc.weight"] = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4) / 7)
    d["fc.big_endian"] = np.array([1.0, -2.5, 3.75], dtype=">f4")
    d["bn.num_batches"] = np.array(7, dtype=np.int32)
    d["bn.mask"] = np.array([True, False, True])
    d["counts"] = np.array([[1, -2], [3, 2147483647]], dtype=np.int32)
    d["empty"] = np.zeros((0, 3), dtype=np.float32)
    d["tiny"] = np.array([1e-38, 3.4e38, -0.0], dtype=np.float32)
    return d


def expected(d):
    out = {}
    for k, v in d.items():
        dtype = {"f": "float32", "i": "int32", "b": "bool"}[v.dtype.kind]
        vals = np.ascontiguousarray(v).reshape(-1)
        out[k] = {
            "shape": list(v.shape),
            "dtype": dtype,
            # float32 values printed exactly via their float64 widening
            "values": [bool(x) if dtype == "bool" else (int(x) if dtype == "int32" else float(x)) for x in vals],
        }
    return out


class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/mge-pickle-was-executed",))


class EvalEvil:
    def __reduce__(self):
        return (eval, ("__import__('os').system('touch /tmp/mge-pickle-was-executed')",))


def main():
    d = state()
    major = int(np.__version__.split(".")[0])
    if major >= 2:
        with open(os.path.join(here, "state-np2-p4.pkl"), "wb") as f:
            pickle.dump(d, f, protocol=4)
        return
    for proto in (2, 3, 4, 5):
        with open(os.path.join(here, f"state-p{proto}.pkl"), "wb") as f:
            pickle.dump(d, f, protocol=proto)
    with open(os.path.join(here, "expected.json"), "w") as f:
        json.dump(expected(d), f, indent=1)
    with open(os.path.join(here, "evil-system.pkl"), "wb") as f:
        pickle.dump(collections.OrderedDict(w=Evil()), f, protocol=2)
    with open(os.path.join(here, "evil-eval.pkl"), "wb") as f:
        pickle.dump({"w": EvalEvil()}, f, protocol=4)
    print("numpy", np.__version__, "python", sys.version.split()[0])


main()
