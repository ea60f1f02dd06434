"""Drives NNCodec (nnc.compress / nnc.decompress) for ecqx: the NNR interop tests and the sweep's NNCodec sizes.
Embedded in ECQx.dll (ECQx.Coding.Nnr.NnCodecInstallation writes it out and runs it with Debian's python3).

Usage: NNCODEC_DIR=<folder built by .ci/install-prereqs> python3 nncodec_driver.py decode IN.nnr OUT.json [IN OUT ...]
       NNCODEC_DIR=...                                  python3 nncodec_driver.py encode IN.json OUT.nnr [IN OUT ...]
       NNCODEC_DIR=...                                  python3 nncodec_driver.py size MANIFEST.json OUT.json

decode: writes {name: {"dtype": str, "shape": [...], "values": [...]}} of nnc.decompress's tensors, in order
        (float32 values as their IEEE bit patterns, so comparisons are exact).
encode: reads {name: {"shape": [...], "values": [...]}} of integer tensors ("float": true: float32 values) and writes
        nnc.compress(..., use_dq=False).
size:   reads MANIFEST.json {"data": "values.bin", "levels": [...], "floats": [...]}, each entry {"name", "shape", "offset"}
        (byte offset into the little-endian data file; levels int32, floats float32), and codes them as the ECQx reference
        does (spec section d.3): the levels with nnc.compress(use_dq=False) (int32: no further quantization), the floats
        with nnc.compress(qp=-40, nonweight_qp=-75, use_dq=True, qp_density=2, lambda_scale=0). Writes
        {"level_bytes": n, "float_bytes": m} (0 for an empty group).
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


def _read_group(entries, data_path, dtype):
    tensors = {}
    for t in entries:
        count = int(np.prod(t["shape"], dtype=np.int64)) if t["shape"] else 1
        values = np.fromfile(data_path, dtype=dtype, count=count, offset=int(t["offset"]))
        if values.size != count:
            sys.exit(f"{data_path}: tensor {t['name']} needs {count} values at byte {t['offset']}, the file has {values.size}")
        tensors[t["name"]] = values.reshape(t["shape"])
    return tensors


def _coded_bytes(tensors, path, **options):
    if not tensors:
        return 0
    with contextlib.redirect_stdout(io.StringIO()):
        nnc.compress(tensors, bitstream_path=path, return_bitstream=False, **options)
    return os.path.getsize(path)


def size(src, dst):
    with open(src) as f:
        manifest = json.load(f)
    data = os.path.join(os.path.dirname(os.path.abspath(src)), manifest["data"])
    levels = _read_group(manifest.get("levels", []), data, "<i4")
    floats = _read_group(manifest.get("floats", []), data, "<f4")
    out = {
        "level_bytes": _coded_bytes(levels, dst + ".levels.nnr", use_dq=False),
        "float_bytes": _coded_bytes(floats, dst + ".floats.nnr", qp=-40, nonweight_qp=-75, use_dq=True, qp_density=2,
                                    lambda_scale=0),
    }
    with open(dst, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    verb, pairs = (sys.argv[1] if len(sys.argv) > 1 else ""), sys.argv[2:]
    if verb not in ("decode", "encode", "size") or len(pairs) == 0 or len(pairs) % 2:
        sys.exit(__doc__)
    if verb == "size":
        size(pairs[0], pairs[1])
        sys.exit(0)
    for i in range(0, len(pairs), 2):
        (decode if verb == "decode" else encode)(pairs[i], pairs[i + 1])
