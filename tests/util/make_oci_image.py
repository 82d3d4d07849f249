#!/usr/bin/env python3
"""Writes a deterministic OCI image layout (and optionally an OCI archive tar) for the integration tests.

Standard library only. Given the same arguments the output is byte-identical (fixed tar headers, gzip mtime 0,
seeded PRNG), so digests are stable across runs.

  make_oci_image.py --out DIR --name docker.io/library/foo:v1 [--seed 1] [--layers 2] [--files 3]
                    [--layer-size 65536] [--archive OUT.tar]

--layer-size is the number of file bytes per layer (random, so it does not compress; a test that needs a large
layer asks for one). The image is linux/amd64. index.json annotates the manifest with both
`io.containerd.image.name` (full name, what `ctr images import` uses) and `org.opencontainers.image.ref.name`
(the tag, what `skopeo copy oci:DIR:TAG` looks up).

Prints one JSON object on stdout: name, tag, index (digest of index.json), manifest, config, layers, diff_ids,
blobs (every blob in blobs/sha256 with its size) and the archive path if one was written.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile

MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
EPOCH = 946684800  # 2000-01-01, a fixed mtime for every tar entry


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_info(name, size=0, kind=tarfile.REGTYPE, mode=0o644):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    info.mode = mode
    info.mtime = EPOCH
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def make_layer(rng, index, files, layer_size):
    """Returns (uncompressed tar bytes, gzip bytes)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        directory = "layer%d" % index
        tar.addfile(tar_info(directory + "/", kind=tarfile.DIRTYPE, mode=0o755))
        per_file = layer_size // files if files else 0
        for f in range(files):
            size = per_file + (layer_size % files if f == files - 1 else 0)
            data = rng.randbytes(size)
            tar.addfile(tar_info("%s/file%d.bin" % (directory, f), size), io.BytesIO(data))
        # A small text file too, so a layer is never empty even with --layer-size 0.
        text = ("layer %d of a berth test image\n" % index).encode()
        tar.addfile(tar_info("%s/README" % directory, len(text)), io.BytesIO(text))
    uncompressed = raw.getvalue()
    compressed = io.BytesIO()
    with gzip.GzipFile(fileobj=compressed, mode="wb", compresslevel=1, mtime=0, filename="") as gz:
        gz.write(uncompressed)
    return uncompressed, compressed.getvalue()


def write_blob(out, data, blobs):
    digest = sha256(data)
    path = os.path.join(out, "blobs", "sha256", digest.split(":", 1)[1])
    with open(path, "wb") as f:
        f.write(data)
    blobs[digest] = len(data)
    return {"digest": digest, "size": len(data)}


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="layout directory to create (must not exist or be empty)")
    parser.add_argument("--name", required=True, help="full image name with tag, e.g. docker.io/library/foo:v1")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--files", type=int, default=3, help="random files per layer")
    parser.add_argument("--layer-size", type=int, default=64 * 1024, help="random file bytes per layer")
    parser.add_argument("--archive", help="also write an OCI archive tar of the layout here")
    args = parser.parse_args()

    if ":" not in args.name.rsplit("/", 1)[-1]:
        parser.error("--name needs a tag (name:tag)")
    tag = args.name.rsplit(":", 1)[1]
    os.makedirs(os.path.join(args.out, "blobs", "sha256"), exist_ok=True)
    rng = random.Random(args.seed)
    blobs = {}

    layers, diff_ids = [], []
    for i in range(args.layers):
        uncompressed, compressed = make_layer(rng, i, args.files, args.layer_size)
        desc = write_blob(args.out, compressed, blobs)
        desc["mediaType"] = MEDIA_LAYER_GZIP
        layers.append(desc)
        diff_ids.append(sha256(uncompressed))

    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2000-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["/bin/sh"],
                   "Labels": {"berth.test.seed": str(args.seed)}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2000-01-01T00:00:00Z", "created_by": "make_oci_image.py layer %d" % i}
                    for i in range(args.layers)],
    }
    config_desc = write_blob(args.out, canonical(config), blobs)
    config_desc["mediaType"] = MEDIA_CONFIG

    manifest = {"schemaVersion": 2, "mediaType": MEDIA_MANIFEST, "config": config_desc, "layers": layers}
    manifest_desc = write_blob(args.out, canonical(manifest), blobs)
    manifest_desc["mediaType"] = MEDIA_MANIFEST
    manifest_desc["platform"] = {"architecture": "amd64", "os": "linux"}
    manifest_desc["annotations"] = {"io.containerd.image.name": args.name,
                                    "org.opencontainers.image.ref.name": tag}

    index = {"schemaVersion": 2, "manifests": [manifest_desc]}
    index_bytes = canonical(index)
    with open(os.path.join(args.out, "index.json"), "wb") as f:
        f.write(index_bytes)
    layout = canonical({"imageLayoutVersion": "1.0.0"})
    with open(os.path.join(args.out, "oci-layout"), "wb") as f:
        f.write(layout)

    result = {
        "name": args.name,
        "tag": tag,
        "index": sha256(index_bytes),
        "manifest": manifest_desc["digest"],
        "manifest_size": manifest_desc["size"],
        "config": config_desc["digest"],
        "layers": [l["digest"] for l in layers],
        "diff_ids": diff_ids,
        "blobs": [{"digest": d, "size": s} for d, s in sorted(blobs.items())],
    }

    if args.archive:
        with tarfile.open(args.archive, "w", format=tarfile.PAX_FORMAT) as tar:
            tar.addfile(tar_info("oci-layout", len(layout)), io.BytesIO(layout))
            tar.addfile(tar_info("index.json", len(index_bytes)), io.BytesIO(index_bytes))
            tar.addfile(tar_info("blobs/", kind=tarfile.DIRTYPE, mode=0o755))
            tar.addfile(tar_info("blobs/sha256/", kind=tarfile.DIRTYPE, mode=0o755))
            for digest in sorted(blobs):
                hexpart = digest.split(":", 1)[1]
                path = os.path.join(args.out, "blobs", "sha256", hexpart)
                with open(path, "rb") as f:
                    tar.addfile(tar_info("blobs/sha256/" + hexpart, blobs[digest]), f)
        result["archive"] = args.archive

    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
