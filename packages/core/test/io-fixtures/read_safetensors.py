"""An independent safetensors reader (standard library only) used by io-save-load.test.ts.

Usage: python3 read_safetensors.py FILE  ->  prints {"metadata": {...}, "tensors": {key: {dtype, shape, values}}}
"""
import json
import struct
import sys

FORMATS = {"F32": ("f", 4), "I32": ("i", 4), "BOOL": ("?", 1)}

with open(sys.argv[1], "rb") as f:
    raw = f.read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8 : 8 + n].decode("utf-8"))
data = raw[8 + n :]
out = {"metadata": header.pop("__metadata__", {}), "tensors": {}, "header_len": n, "data_len": len(data)}
for key, e in header.items():
    code, size = FORMATS[e["dtype"]]
    begin, end = e["data_offsets"]
    count = (end - begin) // size
    values = list(struct.unpack("<%d%s" % (count, code), data[begin:end]))
    out["tensors"][key] = {"dtype": e["dtype"], "shape": e["shape"], "values": values}
print(json.dumps(out))
