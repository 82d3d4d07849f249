#!/usr/bin/env python3
"""Records every entry of a directory tree (e.g. a mounted image root) as JSON, for comparing root filesystems.

  tree_snapshot.py ROOT     prints {"root": ROOT, "entries": [ENTRY, ...]} sorted by path

ENTRY: path ("." for ROOT itself, else relative without "./"), type (file dir symlink fifo char block socket, or
listed-but-missing: readdir lists it, lstat says ENOENT), mode (st_mode & 0o7777, so setuid/setgid/sticky are
kept), uid, gid, nlink, mtime_ns, size (regular files and
symlinks), sha256 (regular files), target (symlinks), major/minor (devices), xattrs (every namespace the kernel
lists, name -> hex value, sorted), link_group (non-directories with nlink > 1: the smallest path of this tree that
shares the inode, so hardlinks compare by grouping, not by inode number).

Symlinks are never followed; the walk does not cross into other mounts below ROOT. Standard library only.
"""
import hashlib
import json
import os
import stat
import sys

TYPES = [
    (stat.S_ISREG, "file"), (stat.S_ISDIR, "dir"), (stat.S_ISLNK, "symlink"), (stat.S_ISFIFO, "fifo"),
    (stat.S_ISCHR, "char"), (stat.S_ISBLK, "block"), (stat.S_ISSOCK, "socket"),
]


def kind_of(mode):
    for test, name in TYPES:
        if test(mode):
            return name
    return "unknown"


def file_sha256(path):
    h = hashlib.sha256()
    # O_NOFOLLOW: the entry was lstat'ed as a regular file; never read through a symlink swapped in meanwhile.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def xattrs_of(path):
    out = {}
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return out
    for name in sorted(names):
        try:
            out[name] = os.getxattr(path, name, follow_symlinks=False).hex()
        except OSError as e:
            out[name] = "<error %s>" % e.strerror
    return out


def snapshot(root):
    root_dev = os.lstat(root).st_dev
    entries, inodes = [], {}

    def record(path, rel):
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            # Listed by readdir but not there to lstat: e.g. an overlay whiteout (0:0 char device) in an upper
            # directory that hides a non-directory instead of merging with a lower directory.
            entries.append({"path": rel, "type": "listed-but-missing", "mode": 0, "uid": 0, "gid": 0, "nlink": 0,
                            "mtime_ns": 0, "xattrs": {}})
            return None, "listed-but-missing"
        kind = kind_of(st.st_mode)
        e = {"path": rel, "type": kind, "mode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid,
             "nlink": st.st_nlink, "mtime_ns": st.st_mtime_ns, "xattrs": xattrs_of(path)}
        if kind == "file":
            e["size"] = st.st_size
            e["sha256"] = file_sha256(path)
        elif kind == "symlink":
            e["target"] = os.readlink(path)
            e["size"] = st.st_size
        elif kind in ("char", "block"):
            e["major"] = os.major(st.st_rdev)
            e["minor"] = os.minor(st.st_rdev)
        if kind != "dir" and st.st_nlink > 1:
            inodes.setdefault((st.st_dev, st.st_ino), []).append(e)
        entries.append(e)
        return st, kind

    def walk(path, rel):
        st, kind = record(path, rel)
        if kind != "dir" or (rel != "." and st.st_dev != root_dev):
            return
        for name in sorted(os.listdir(path)):
            walk(os.path.join(path, name), name if rel == "." else rel + "/" + name)

    walk(root, ".")
    for group in inodes.values():
        first = min(e["path"] for e in group)
        for e in group:
            e["link_group"] = first
    entries.sort(key=lambda e: e["path"])
    return {"root": root, "entries": entries}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tree_snapshot.py ROOT")
    json.dump(snapshot(sys.argv[1]), sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
