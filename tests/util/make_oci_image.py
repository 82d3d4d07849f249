#!/usr/bin/env python3
"""Writes a deterministic OCI image layout (and optionally an OCI archive tar) for the integration tests.

Standard library only. Given the same arguments the output is byte-identical (fixed tar headers, gzip mtime 0,
seeded PRNG), so digests are stable across runs.

  make_oci_image.py --out DIR --name docker.io/library/foo:v1 [--seed 1] [--layers 2] [--files 3]
                    [--layer-size 65536] [--archive OUT.tar] [--layers-json LAYERS.json]

--layers-json describes every layer explicitly (then --layers/--files/--layer-size are ignored): a JSON list of
  {"compression": "gzip" | "zstd" | "none", "entries": [ENTRY, ...]}
with tar entries written in the given order, names verbatim (so "../x", "/abs" and ".wh..." are possible):
  {"type": "file" | "dir" | "symlink" | "hardlink" | "fifo" | "char" | "block" | "whiteout" | "opaque",
   "path": "a/b",                    # whiteout: the path deleted (written as a/.wh.b); opaque: the directory
   "target": "...",                  # symlink / hardlink target
   "content_hex": "..."  or  "random_size": N   # file data (random: seeded by the image seed and the path)
   "mode": 0o4755, "uid": 0, "gid": 0, "mtime": 946684800, "major": 1, "minor": 3,
   "xattrs_hex": {"user.foo": "<hex of the value>"}}     # written as PAX SCHILY.xattr.<name>
Unset fields get defaults (mode 0644 / 0755 for dirs / 0777 for symlinks, owner 0:0, mtime 2000-01-01).
zstd layers are compressed with the `zstd` CLI (Debian package zstd, level 3, one thread: deterministic).

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
import subprocess
import sys
import tarfile

MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
MEDIA_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
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
    return uncompressed, compress(uncompressed, "gzip")


def compress(data, compression):
    """Returns (the layer blob) for the OCI compression name."""
    if compression == "gzip":
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1, mtime=0, filename="") as gz:
            gz.write(data)
        return out.getvalue()
    if compression == "zstd":
        r = subprocess.run(["zstd", "-q", "-c", "-3", "-T1", "--no-progress"], input=data,
                           stdout=subprocess.PIPE, check=True)
        return r.stdout
    if compression == "none":
        return data
    raise ValueError("unknown compression %r (gzip, zstd or none)" % compression)


MEDIA_BY_COMPRESSION = {"gzip": MEDIA_LAYER_GZIP, "zstd": MEDIA_LAYER_ZSTD, "none": MEDIA_LAYER_TAR}

KINDS = {
    "file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
    "fifo": tarfile.FIFOTYPE, "char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE,
    "whiteout": tarfile.REGTYPE, "opaque": tarfile.REGTYPE,
}


def entry_name(entry):
    path = entry.get("path", "")
    kind = entry["type"]
    if kind == "whiteout":
        head, _, tail = path.rpartition("/")
        return (head + "/" if head else "") + ".wh." + tail
    if kind == "opaque":
        return (path.rstrip("/") + "/" if path.strip("/") else "") + ".wh..wh..opq"
    return path


def make_described_layer(seed, layer_index, layer):
    """A layer from its JSON description; returns (uncompressed tar bytes, blob, media type)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8") as tar:
        for entry in layer["entries"]:
            kind = entry["type"]
            if kind not in KINDS:
                raise ValueError("unknown entry type %r" % kind)
            default_mode = {"dir": 0o755, "symlink": 0o777, "hardlink": 0o644}.get(kind, 0o644)
            info = tarfile.TarInfo("")
            info.name = entry_name(entry)  # verbatim: the TarInfo constructor would not normalise either
            info.type = KINDS[kind]
            info.mode = entry.get("mode", default_mode)
            info.uid = entry.get("uid", 0)
            info.gid = entry.get("gid", 0)
            info.uname = info.gname = ""
            info.mtime = entry.get("mtime", EPOCH)
            info.linkname = entry.get("target", "")
            info.devmajor = entry.get("major", 0)
            info.devminor = entry.get("minor", 0)
            data = b""
            if kind == "file":
                if "random_size" in entry:
                    rng = random.Random("%d/%d/%s" % (seed, layer_index, info.name))
                    data = rng.randbytes(entry["random_size"])
                else:
                    data = bytes.fromhex(entry.get("content_hex", ""))
            info.size = len(data)
            pax = {}
            for name, value_hex in sorted(entry.get("xattrs_hex", {}).items()):
                # Binary values travel as surrogate-escaped str; tarfile then marks the header hdrcharset=BINARY.
                pax["SCHILY.xattr." + name] = bytes.fromhex(value_hex).decode("utf-8", "surrogateescape")
            info.pax_headers = pax
            tar.addfile(info, io.BytesIO(data) if data else None)
    uncompressed = raw.getvalue()
    compression = layer.get("compression", "gzip")
    return uncompressed, compress(uncompressed, compression), MEDIA_BY_COMPRESSION[compression]


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
    parser.add_argument("--layers-json", help="explicit layer descriptions (see above)")
    args = parser.parse_args()

    if ":" not in args.name.rsplit("/", 1)[-1]:
        parser.error("--name needs a tag (name:tag)")
    tag = args.name.rsplit(":", 1)[1]
    os.makedirs(os.path.join(args.out, "blobs", "sha256"), exist_ok=True)
    rng = random.Random(args.seed)
    blobs = {}

    layers, diff_ids = [], []
    if args.layers_json:
        with open(args.layers_json) as f:
            described = json.load(f)
        for i, layer in enumerate(described):
            uncompressed, blob, media_type = make_described_layer(args.seed, i, layer)
            desc = write_blob(args.out, blob, blobs)
            desc["mediaType"] = media_type
            layers.append(desc)
            diff_ids.append(sha256(uncompressed))
    else:
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
                    for i in range(len(layers))],
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
