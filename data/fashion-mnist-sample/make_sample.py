#!/usr/bin/env python3
"""Regenerates the bundled Fashion-MNIST sample deterministically (standard library only).

Source: the Debian package `dataset-fashion-mnist` (apt-get install dataset-fashion-mnist), which installs
the original IDX files in /usr/share/datasets/fashion-mnist/.

Subset rule ("first N per class, file order kept"): walk the source split in file order and keep an
example while its class has fewer than N kept examples (N = 1000 for train, 200 for test), so the sample
is class-balanced and its order is the source order. Output: IDX (unsigned byte) files, gzip level 9,
gzip header mtime 0, no file name in the header.

Usage: python3 make_sample.py [SOURCE_DIR] [OUT_DIR]
"""
import gzip
import struct
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
OUT = sys.argv[2] if len(sys.argv) > 2 else "."
PER_CLASS = {"train": 1000, "t10k": 200}


def read_idx(path):
    data = gzip.open(path, "rb").read()
    if data[0:2] != b"\0\0" or data[2] != 0x08:
        raise SystemExit(f"{path}: not an unsigned-byte IDX file")
    dims = data[3]
    shape = struct.unpack(">" + "i" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def write_idx(path, shape, payload):
    header = bytes([0, 0, 0x08, len(shape)]) + struct.pack(">" + "i" * len(shape), *shape)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as gz:
            gz.write(header + payload)


for split, n in PER_CLASS.items():
    ishape, images = read_idx(f"{SRC}/{split}-images-idx3-ubyte.gz")
    lshape, labels = read_idx(f"{SRC}/{split}-labels-idx1-ubyte.gz")
    assert ishape[0] == lshape[0] == len(labels)
    size = ishape[1] * ishape[2]
    kept, counts = [], [0] * 10
    for i, y in enumerate(labels):
        if counts[y] < n:
            counts[y] += 1
            kept.append(i)
    assert counts == [n] * 10, counts
    write_idx(f"{OUT}/{split}-images-idx3-ubyte.gz", (len(kept), ishape[1], ishape[2]),
              b"".join(images[i * size:(i + 1) * size] for i in kept))
    write_idx(f"{OUT}/{split}-labels-idx1-ubyte.gz", (len(kept),), bytes(labels[i] for i in kept))
    print(split, len(kept), "examples; first source indices", kept[:5], "last", kept[-1])
