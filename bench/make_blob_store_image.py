#!/usr/bin/env python3
"""Writes an OCI archive (tar) of many blobs for bench/gc_fsck.sh: two index images, NAME:half-a and NAME:half-b,
each an index of MANIFESTS/2 manifests of LAYERS layers. Layers are random bytes (never unpacked: import with
--no-unpack): one in LARGE_EVERY is LARGE_MIN..LARGE_MAX bytes, the others SMALL_MIN..SMALL_MAX, so both the
per-blob cost and the hashing throughput show. Sizes come from --seed, the bytes from os.urandom (every blob unique).

  make_blob_store_image.py --out store.tar --name docker.io/bench/store [--manifests 50 --layers 100 ...]

Prints "<blobs> <bytes> <half-b index digest>" on stdout.
"""
import argparse
import hashlib
import io
import json
import os
import random
import tarfile

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


class Archive:
    def __init__(self, path):
        self.tar = tarfile.open(path, mode="w", format=tarfile.PAX_FORMAT)
        self.blobs = 0
        self.bytes = 0

    def add_file(self, name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        self.tar.addfile(info, io.BytesIO(data))

    def add_blob(self, data, media_type):
        digest = hashlib.sha256(data).hexdigest()
        self.add_file("blobs/sha256/" + digest, data)
        self.blobs += 1
        self.bytes += len(data)
        return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}

    def add_json(self, obj, media_type):
        return self.add_blob(json.dumps(obj, separators=(",", ":")).encode(), media_type)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--name", required=True, help="repository; the images are NAME:half-a and NAME:half-b")
    p.add_argument("--manifests", type=int, default=50)
    p.add_argument("--layers", type=int, default=100)
    p.add_argument("--large-every", type=int, default=20)
    p.add_argument("--small-min", type=int, default=512)
    p.add_argument("--small-max", type=int, default=64 << 10)
    p.add_argument("--large-min", type=int, default=1 << 20)
    p.add_argument("--large-max", type=int, default=4 << 20)
    p.add_argument("--seed", type=int, default=5)
    a = p.parse_args()
    if a.manifests < 2 or a.layers < 1 or a.large_every < 1:
        p.error("need --manifests >= 2, --layers >= 1, --large-every >= 1")
    sizes = random.Random(a.seed)
    archive = Archive(a.out)
    halves = [[], []]
    n = 0
    for m in range(a.manifests):
        layers = []
        for _ in range(a.layers):
            n += 1
            size = (sizes.randint(a.large_min, a.large_max) if n % a.large_every == 0
                    else sizes.randint(a.small_min, a.small_max))
            layers.append(archive.add_blob(os.urandom(size), "application/vnd.oci.image.layer.v1.tar"))
        config = archive.add_json({"architecture": "amd64", "os": "linux", "created": f"manifest {m}",
                                   "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]}},
                                  "application/vnd.oci.image.config.v1+json")
        manifest = archive.add_json({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config,
                                     "layers": layers}, OCI_MANIFEST)
        halves[m % 2].append(manifest)
    entries = []
    for tag, manifests in zip(("half-a", "half-b"), halves):
        index = archive.add_json({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}, OCI_INDEX)
        index["annotations"] = {"io.containerd.image.name": f"{a.name}:{tag}",
                                "org.opencontainers.image.ref.name": tag}
        entries.append(index)
    archive.add_file("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    archive.add_file("index.json", json.dumps({"schemaVersion": 2, "manifests": entries}).encode())
    archive.tar.close()
    print(archive.blobs, archive.bytes, entries[1]["digest"])


if __name__ == "__main__":
    main()
