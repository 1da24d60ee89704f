#!/usr/bin/env python3
"""Writes a small OCI image layout for the image tests: DIR [--tag T] [--hostile KIND].

Layer 1: busybox (from the host's busybox-static) with sh and the applets the tests use,
an /etc/passwd with root and `app` (1000), /data/{a,b}, /opq/x, /home/app/f owned by
1000:1000, /srv/rootfile owned by 0:0 mode 0600 and /pub, mode 1777. Layer 2: a whiteout of /data/a, an
opaque /opq holding only y, and /data/c. Layers are gzip'd as registries serve them.
--hostile KIND makes layer 2 an attack instead: dotdot, absolute, symlink (a link out then
a file through it), or bigid (a file owned by uid 70000, beyond a 65536 range). --salt S puts S in layer 1's
/etc/salt: a layer no other image has.
"""
import argparse, gzip, hashlib, io, json, os, tarfile

BUSYBOX = "/bin/busybox"
APPLETS = ["sh", "true", "ls", "cat", "stat", "id", "echo", "touch", "test", "sleep", "mkdir", "rm", "httpd"]


def add(tar, name, data=b"", mode=0o644, uid=0, gid=0, kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.mode, info.uid, info.gid, info.type, info.linkname = mode, uid, gid, kind, link
    info.mtime = 1700000000
    if kind == tarfile.REGTYPE:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    else:
        tar.addfile(info)


def layer(build):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        build(tar)
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), "sha256:" + hashlib.sha256(tar_bytes).hexdigest()


SALT = b""


def base(tar):
    for d in ["bin", "etc", "data", "opq", "home", "srv", "tmp", "proc", "dev", "sys", "run"]:
        add(tar, d, kind=tarfile.DIRTYPE, mode=0o755)
    with open(BUSYBOX, "rb") as f:
        add(tar, "bin/busybox", f.read(), mode=0o755)
    for a in APPLETS:
        add(tar, "bin/" + a, kind=tarfile.SYMTYPE, link="busybox")
    add(tar, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n")
    add(tar, "etc/group", b"root:x:0:\napp:x:1000:\n")
    add(tar, "data/a", b"a\n")
    add(tar, "data/b", b"b\n")
    add(tar, "opq/x", b"x\n")
    add(tar, "home/app", kind=tarfile.DIRTYPE, mode=0o755, uid=1000, gid=1000)
    add(tar, "home/app/f", b"f\n", uid=1000, gid=1000)
    add(tar, "srv/rootfile", b"secret\n", mode=0o600)
    add(tar, "pub", kind=tarfile.DIRTYPE, mode=0o1777)
    if SALT:
        add(tar, "etc/salt", SALT)


def changes(tar):
    add(tar, "data/.wh.a")
    add(tar, "data/c", b"c\n")
    add(tar, "opq", kind=tarfile.DIRTYPE, mode=0o755)
    add(tar, "opq/.wh..wh..opq")
    add(tar, "opq/y", b"y\n")


def hostile(kind):
    def build(tar):
        if kind == "dotdot":
            add(tar, "../../escaped", b"x\n")
        elif kind == "absolute":
            add(tar, "/tmp/escaped", b"x\n")
        elif kind == "symlink":
            add(tar, "out", kind=tarfile.SYMTYPE, link="/tmp")
            add(tar, "out/escaped", b"x\n")
        elif kind == "bigid":
            add(tar, "big", b"x\n", uid=70000, gid=70000)
    return build


def blob(root, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(root, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--tag", default="latest")
    ap.add_argument("--hostile")
    ap.add_argument("--salt", default="", help="a file in layer 1: a layer of its own")
    ap.add_argument("--big", type=int, default=0, help="MB of random data in layer 2's /big")
    ap.add_argument("--tree", help="a host directory, as root's, in a third layer (benchmarks)")
    ap.add_argument("--program", action="append", default=[],
                    help="a /bin/NAME of its own layer that says its name, arguments and display")
    a = ap.parse_args()
    global SALT
    SALT = a.salt.encode()
    os.makedirs(os.path.join(a.dir, "blobs", "sha256"), exist_ok=True)
    second = hostile(a.hostile) if a.hostile else changes
    if a.big:
        def second(tar, plain=second):
            plain(tar)
            add(tar, "big", os.urandom(a.big << 20))
    layers = [layer(base), layer(second)]
    if a.tree:
        def tree(tar):
            def as_root(info):
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                return info
            tar.add(a.tree, arcname=a.tree.lstrip("/"), filter=as_root)
        layers.append(layer(tree))
    if a.program:
        def programs(tar):
            for name in a.program:
                add(tar, "bin/" + name,
                    ('#!/bin/sh\necho "%s $* display=${DISPLAY:+yes}"\n' % name).encode(),
                    mode=0o755)
        layers.append(layer(programs))
    descs = []
    for gz, _ in layers:
        d, n = blob(a.dir, gz)
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n})
    config = {"architecture": "amd64", "os": "linux",
              "config": {"Env": ["PATH=/bin", "FROM_IMAGE=yes"], "Cmd": ["sh"],
                         "WorkingDir": "/data", "ExposedPorts": {"8080/tcp": {}}},
              "rootfs": {"type": "layers", "diff_ids": [diff for _, diff in layers]}}
    cd, cn = blob(a.dir, json.dumps(config).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
                "layers": descs}
    md, mn = blob(a.dir, json.dumps(manifest).encode())
    index = {"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": mn,
         "annotations": {"org.opencontainers.image.ref.name": a.tag}}]}
    with open(os.path.join(a.dir, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(a.dir, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


main()
