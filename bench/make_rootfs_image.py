#!/usr/bin/env python3
"""Writes an OCI image layout whose layers are gzip tars of directories of this machine: a stand-in for a
multi-layer Debian rootfs image (many small files of real, compressible content), for bench/pull.sh.

  make_rootfs_image.py --out DIR --name docker.io/bench/rootfs:v1 /etc /usr/include /usr/share/doc ...

One layer per directory, in the order given, entries under their absolute path without the leading '/'.
Sockets and other special files are skipped; owners and modes are kept as on disk.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import tarfile


def write_blob(out, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)


def layer(directory):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def keep(info):
            return info if (info.isfile() or info.isdir() or info.issym() or info.islnk()) else None
        tar.add(directory, arcname=directory.lstrip("/"), filter=keep)
    plain = raw.getvalue()
    return gzip.compress(plain, compresslevel=6, mtime=0), "sha256:" + hashlib.sha256(plain).hexdigest()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("dirs", nargs="+")
    a = p.parse_args()
    os.makedirs(os.path.join(a.out, "blobs", "sha256"), exist_ok=True)
    layers, diff_ids = [], []
    for d in a.dirs:
        blob, diff_id = layer(d)
        digest, size = write_blob(a.out, blob)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size})
        diff_ids.append(diff_id)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    cdigest, csize = write_blob(a.out, config)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": cdigest, "size": csize},
                           "layers": layers}).encode()
    mdigest, msize = write_blob(a.out, manifest)
    tag = a.name.rsplit(":", 1)[1]
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest, "size": msize,
        "annotations": {"io.containerd.image.name": a.name, "org.opencontainers.image.ref.name": tag}}]}
    with open(os.path.join(a.out, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(a.out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


if __name__ == "__main__":
    main()
