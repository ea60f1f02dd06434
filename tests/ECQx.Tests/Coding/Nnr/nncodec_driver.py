"""Drives NNCodec (nnc.compress / nnc.decompress) for the NNR interop tests.

Usage: NNCODEC_DIR=<folder built by .ci/install-prereqs> python3 nncodec_driver.py decode IN.nnr OUT.json [IN OUT ...]
       NNCODEC_DIR=...                                  python3 nncodec_driver.py encode IN.json OUT.nnr [IN OUT ...]

decode: writes {name: {"dtype": str, "shape": [...], "values": [...]}} of nnc.decompress's tensors, in order
        (float32 values as their IEEE bit patterns, so comparisons are exact).
encode: reads {name: {"shape": [...], "values": [...]}} of integer tensors ("float": true: float32 values) and writes
        nnc.compress(..., use_dq=False).
"""
import contextlib
import io
import json
import os
import sys

root = os.environ.get("NNCODEC_DIR")
if not root:
    sys.exit("NNCODEC_DIR is not set (the folder .ci/install-prereqs builds NNCodec into)")
sys.path[:0] = [root, os.path.join(root, "nncodec")]
import numpy as np  # noqa: E402
from nncodec import nnc  # noqa: E402


def decode(src, dst):
    with contextlib.redirect_stdout(io.StringIO()):
        tensors = nnc.decompress(src, return_model_information=False)
    out = {}
    for name, value in tensors.items():
        a = np.asarray(value)
        values = a.view(np.uint32) if a.dtype == np.float32 else a
        out[name] = {"dtype": str(a.dtype), "shape": list(a.shape), "values": values.reshape(-1).tolist()}
    with open(dst, "w") as f:
        json.dump(out, f)


def encode(src, dst):
    with open(src) as f:
        spec = json.load(f)
    tensors = {name: np.asarray(t["values"], dtype=np.float32 if t.get("float") else np.int32).reshape(t["shape"])
               for name, t in spec.items()}
    with contextlib.redirect_stdout(io.StringIO()):
        nnc.compress(tensors, bitstream_path=dst, use_dq=False, return_bitstream=False)


if __name__ == "__main__":
    verb, pairs = sys.argv[1], sys.argv[2:]
    if verb not in ("decode", "encode") or len(pairs) == 0 or len(pairs) % 2:
        sys.exit(__doc__)
    for i in range(0, len(pairs), 2):
        (decode if verb == "decode" else encode)(pairs[i], pairs[i + 1])
