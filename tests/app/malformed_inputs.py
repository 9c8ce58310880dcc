#!/usr/bin/env python3
"""The malformed-input catalogue (docs/RELIABILITY.md): every case is bad input that the real
`ridgeline` executable must answer with exit code 2 and exactly one line on stderr naming the
file, key or flag at fault.

Cases: truncations of a safetensors file and of an IDX file at many offsets, lying headers,
integer overflows in IDX headers and in spec integers, deep nesting, huge strings, wrong types,
bad flags and bad output locations. Fixtures are made here (two tiny models trained by the CLI,
an IDX folder written byte by byte), so the catalogue needs no data files.

    malformed_inputs.py RIDGELINE WORK_DIR [--known-failures FILE] [--strict] [-k SUBSTRING]
                        [--jobs N]

Cases named in the known-failures file (one "name  reason" per line; '#' comments) are bad
input whose fix belongs to other work in progress: they are reported as XFAIL and do not fail
the run, and a listed case that passes is reported as XPASS (remove it from the list).
--strict fails on both. Cases are independent and run N at a time (default: one per core);
the report keeps the catalogue's order. Exit status: 0 when every other case passes, 1 otherwise.
"""
import concurrent.futures
import json
import os
import shutil
import struct
import subprocess
import sys
import time

TIMEOUT_S = 30  # a case that runs this long did work it should have refused
GMM = "gmm:200,100,8,3,7"


class Case:
    def __init__(self, name, args, needles, cwd=None, env=None, as_nobody=False):
        self.name, self.args, self.needles = name, [str(a) for a in args], needles
        self.cwd, self.env, self.as_nobody = cwd, env, as_nobody


def run(exe, args, cwd, env=None, timeout=TIMEOUT_S, prefix=()):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(list(prefix) + [exe] + [str(a) for a in args], cwd=cwd, env=full_env, capture_output=True,
                          timeout=timeout)


# ----------------------------------------------------------------------------- fixtures

def make_models(exe, work):
    """Two tiny Ridgeline models (mlp:8,6,3) on the GMM data: A is truncated and lied about."""
    for name, seed in (("A", 0), ("B", 1)):
        r = run(exe, ["train", "--arch", "mlp:8,6,3", "--data", GMM, "--seed", seed, "--epochs", 1,
                      "--batch", 50, "--threads", 1, "--quiet", "--out", name + ".safetensors"], work)
        if r.returncode != 0:
            sys.exit("fixture: ridgeline train failed: " + r.stderr.decode(errors="replace"))
    with open(os.path.join(work, "A.safetensors"), "rb") as f:
        return f.read()


def idx_bytes(dims, payload):
    magic = 0x0800 | len(dims)
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + payload


def write_idx_dir(path, files):
    os.makedirs(path, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)


def valid_idx_files(n=20, side=4):
    img = bytes((i * 37) % 256 for i in range(n * side * side))
    lab = bytes(i % 3 for i in range(n))
    return {
        "train-images-idx3-ubyte": idx_bytes([n, side, side], img),
        "train-labels-idx1-ubyte": idx_bytes([n], lab),
        "t10k-images-idx3-ubyte": idx_bytes([n, side, side], img),
        "t10k-labels-idx1-ubyte": idx_bytes([n], lab),
    }


def base_spec():
    return {
        "name": "tiny",
        "data": {"name": GMM},
        "model": {"arch": "mlp:8,6,3"},
        "train": {"epochs": 1, "batch": 50, "lr": 0.01},
        "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
        "steps": [{"type": "interpolate", "id": "naive", "a": "seed0", "b": "seed1", "points": 3},
                  {"type": "align", "a": "seed0", "b": "seed1", "method": "wm"}],
    }


# ----------------------------------------------------------------------------- cases

def safetensors_cases(work, a_bytes):
    cases = []
    (hlen,) = struct.unpack("<Q", a_bytes[:8])
    end = 8 + hlen
    size = len(a_bytes)
    offsets = set(range(0, 9))
    offsets |= set(range(9, end, max(1, hlen // 24)))
    offsets |= {end - 1, end, end + 1, end + 4}
    offsets |= set(range(end + 8, size, max(1, (size - end) // 16)))
    offsets.add(size - 1)
    for off in sorted(o for o in offsets if 0 <= o < size):
        name = "trunc_%05d.safetensors" % off
        with open(os.path.join(work, name), "wb") as f:
            f.write(a_bytes[:off])
        cases.append(Case("safetensors-truncated-at-%d" % off,
                          ["interpolate", name, "B.safetensors", "--data", GMM, "--points", 3], [name]))

    header = json.loads(a_bytes[8:end])
    data = a_bytes[end:]
    first = next(k for k in header if k != "__metadata__")

    def with_header(h, body=data, length=None):
        text = h if isinstance(h, (bytes, str)) else json.dumps(h)
        text = text.encode() if isinstance(text, str) else text
        n = len(text) if length is None else length
        return struct.pack("<Q", n) + text + body

    def tensor_edit(**changes):
        h = json.loads(json.dumps(header))
        h[first].update(changes)
        return with_header(h)

    deep = "[" * 100000 + "]" * 100000
    lies = {
        "length-2^64-1": with_header(header, length=2**64 - 1),
        "length-2^63": with_header(header, length=2**63),
        "length-past-end": with_header(header, length=size * 4),
        "length-zero": with_header(header, length=0),
        "header-not-json": with_header(b"{this is not json" + b" " * 40),
        "header-array": with_header([1, 2, 3]),
        "header-number": with_header("42"),
        "header-deep-nesting": with_header('{"__metadata__": {"x": "y"}, "deep": ' + deep + "}"),
        "header-invalid-utf8": with_header(b'{"\xff\xfe": {"dtype": "F32"}}'),
        "header-nul-byte": with_header(b'{"a\x00b": 1}'),
        "tensor-not-object": with_header({first: 5}),
        "dtype-unknown": tensor_edit(dtype="Q7"),
        "dtype-number": tensor_edit(dtype=3),
        "shape-negative": tensor_edit(shape=[-6, 8]),
        "shape-huge": tensor_edit(shape=[2**40, 2**40]),
        "shape-overflow-u64": tensor_edit(shape=[2**63, 4]),
        "shape-not-array": tensor_edit(shape="6x8"),
        "offsets-reversed": tensor_edit(data_offsets=[header[first]["data_offsets"][1], header[first]["data_offsets"][0]]),
        "offsets-past-end": tensor_edit(data_offsets=[0, len(data) + 1000]),
        "offsets-2^64": tensor_edit(data_offsets=[0, 2**64 - 1]),
        "offsets-missing": with_header({**header, first: {"dtype": "F32", "shape": header[first]["shape"]}}),
        "offsets-size-mismatch": tensor_edit(data_offsets=[0, 4]),
        "metadata-not-strings": with_header({**header, "__metadata__": {"ridgeline.arch": 5}}),
        "metadata-arch-lies": with_header({**header, "__metadata__": {**header.get("__metadata__", {}), "ridgeline.arch": "mlp:8,7,3"}}),
        "metadata-arch-absurd": with_header({**header, "__metadata__": {**header.get("__metadata__", {}), "ridgeline.arch": "mlp:8,100000000,3"}}),
        "metadata-arch-30000-chars": with_header({**header, "__metadata__": {**header.get("__metadata__", {}), "ridgeline.arch": "mlp:8," + "1," * 15000 + "3"}}),
        "no-tensors": with_header({"__metadata__": {}}, body=b""),
        "data-truncated-by-one": with_header(header, body=data[:-1]),
    }
    for what, content in lies.items():
        name = "lie_%s.safetensors" % what
        with open(os.path.join(work, name), "wb") as f:
            f.write(content)
        cases.append(Case("safetensors-" + what,
                          ["interpolate", name, "B.safetensors", "--data", GMM, "--points", 3], [name]))
    # A directory and a missing file where a model should be.
    os.makedirs(os.path.join(work, "adir.safetensors"), exist_ok=True)
    cases.append(Case("safetensors-is-a-folder", ["interpolate", "adir.safetensors", "B.safetensors",
                                                  "--data", GMM], ["adir.safetensors"]))
    cases.append(Case("safetensors-missing", ["interpolate", "nothere.safetensors", "B.safetensors",
                                              "--data", GMM], ["nothere.safetensors"]))
    return cases


def idx_cases(work):
    cases = []
    good = valid_idx_files()
    train = ["train", "--arch", "mlp:16,4,3", "--epochs", 1, "--batch", 10, "--threads", 1, "--quiet",
             "--out", "idx_out.safetensors", "--data"]
    images = good["train-images-idx3-ubyte"]
    offsets = sorted(set(range(0, 17)) | set(range(20, len(images), 24)) | {len(images) - 1})
    for off in offsets:
        d = os.path.join(work, "idx_trunc_%04d" % off)
        write_idx_dir(d, {**good, "train-images-idx3-ubyte": images[:off]})
        cases.append(Case("idx-images-truncated-at-%d" % off, train + [d], ["train-images-idx3-ubyte"]))
    labels = good["t10k-labels-idx1-ubyte"]
    for off in (0, 3, 4, 7, 8, len(labels) - 1):
        d = os.path.join(work, "idx_ltrunc_%04d" % off)
        write_idx_dir(d, {**good, "t10k-labels-idx1-ubyte": labels[:off]})
        cases.append(Case("idx-labels-truncated-at-%d" % off, train + [d], ["t10k-labels-idx1-ubyte"]))
    img = images[16:]
    lies = {
        "magic-wrong": ("train-images-idx3-ubyte", b"\x00\x00\x0d\x03" + images[4:]),
        "magic-12-dims": ("train-images-idx3-ubyte", b"\x00\x00\x08\x0c" + images[4:]),
        "dims-overflow-u64": ("train-images-idx3-ubyte", idx_bytes([0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], img)),
        "count-2^31": ("train-images-idx3-ubyte", idx_bytes([2**31, 1, 1], img)),
        "count-2^32-1": ("train-images-idx3-ubyte", idx_bytes([2**32 - 1, 4, 4], img)),
        "side-65536": ("train-images-idx3-ubyte", idx_bytes([1, 65536, 65536], img)),
        "images-2d": ("train-images-idx3-ubyte", idx_bytes([20, 16], img)),
        "trailing-bytes": ("train-images-idx3-ubyte", images + b"\x00" * 7),
        "labels-count-mismatch": ("train-labels-idx1-ubyte", idx_bytes([19], bytes(19))),
        "labels-3d": ("train-labels-idx1-ubyte", b"\x00\x00\x08\x03" + struct.pack(">III", 20, 1, 1) + bytes(20)),
        "labels-out-of-range": ("train-labels-idx1-ubyte", idx_bytes([20], bytes([200] * 20))),
        "gzip-junk": ("train-images-idx3-ubyte", b"\x1f\x8b" + b"junk" * 10),
        "gzip-truncated": ("train-images-idx3-ubyte", None),
    }
    import gzip
    for what, (fname, content) in lies.items():
        d = os.path.join(work, "idx_lie_" + what)
        files = dict(good)
        if content is None:  # a gzip stream cut in half
            content = gzip.compress(images)[: len(gzip.compress(images)) // 2]
        files[fname] = content
        write_idx_dir(d, files)
        # Labels past the architecture's classes are a misfit of model and data: --arch is named.
        cases.append(Case("idx-" + what, train + [d], ["--arch"] if what == "labels-out-of-range" else [fname]))
    missing = os.path.join(work, "idx_missing_labels")
    write_idx_dir(missing, {k: v for k, v in good.items() if k != "train-labels-idx1-ubyte"})
    cases.append(Case("idx-missing-labels", train + [missing], ["train-labels-idx1-ubyte"]))
    return cases


def spec_cases(work):
    cases = []

    def add(what, mutate, needles, raw=None, in_file=True):
        name = "spec_%s.json" % what
        path = os.path.join(work, name)
        if raw is not None:
            content = raw
        else:
            spec = base_spec()
            mutate(spec)
            content = json.dumps(spec).encode()
        with open(path, "wb") as f:
            f.write(content)
        # Errors found while parsing name the spec file and the key; those found by the run's
        # own input checks (memory, data) name the key (in_file=False).
        cases.append(Case("spec-" + what, ["run", name, "--out", "runs/" + what, "--threads", 1, "--quiet"],
                          ([name] if in_file else []) + needles))

    def setter(*path_and_value):
        *path, value = path_and_value

        def mutate(spec):
            node = spec
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        return mutate

    ints = [
        ("epochs-2^32+1", ("train", "epochs", 4294967297), "train.epochs"),
        ("batch-2^32+64", ("train", "batch", 4294967360), "train.batch"),
        ("max-sweeps-2^32", ("steps", 1, "max_sweeps", 2**32), "max_sweeps"),
        ("points-2^32", ("steps", 0, "points", 2**32), "points"),
        ("epochs-negative", ("train", "epochs", -1), "train.epochs"),
        ("epochs-2^63", ("train", "epochs", 2**63), "train.epochs"),
        ("epochs-2^64", ("train", "epochs", 2**64), "train.epochs"),
        ("batch-zero", ("train", "batch", 0), "train.batch"),
        ("checkpoint-every-2^32", ("train", "checkpoint_every", 2**32), "train.checkpoint_every"),
        ("seed-negative", ("models", 0, "seed", -1), "seed"),
        ("seed-2^64", ("models", 0, "seed", 2**64), "seed"),
        ("train-subset-2^32", ("data", "train_subset", 2**32), "data.train_subset"),
        ("subset-seed-negative", ("data", "subset_seed", -5), "data.subset_seed"),
        ("samples-2^32", ("steps", 1, "samples", 2**32), "samples"),
    ]
    for what, args, key in ints:
        add(what, setter(*args), [key])
    types = [
        ("epochs-string", ("train", "epochs", "10"), "train.epochs"),
        ("epochs-fraction", ("train", "epochs", 2.5), "train.epochs"),
        ("lr-string", ("train", "lr", "fast"), "train.lr"),
        ("lr-negative", ("train", "lr", -0.1), "train.lr"),
        ("lr-null", ("train", "lr", None), "train.lr"),
        ("model-array", ("model", ["mlp:8,6,3"]), "model"),
        ("models-object", ("models", {"name": "x"}), "models"),
        ("steps-string", ("steps", "interpolate"), "steps"),
        ("step-type-number", ("steps", 0, "type", 5), "type"),
        ("step-type-unknown", ("steps", 0, "type", "fly"), "type"),
        ("step-unknown-model", ("steps", 0, "a", "nobody"), "nobody"),
        ("model-kind-unknown", ("model", "kind", "transformer"), "model.kind"),
        ("data-name-number", ("data", "name", 7), "data.name"),
        ("name-number", ("name", 7), "name"),
        ("unknown-key", ("train", "lrr", 1), "train.lrr"),
    ]
    for what, args, key in types:
        add(what, setter(*args), [key])

    # The landscape step (docs/USER_GUIDE.md, "Landscapes").
    def landscape(**keys):
        def mutate(spec):
            step = {"type": "landscape", "id": "L", "plane": ["seed0", "seed1", "seed1@wm"], "grid": [3, 3]}
            step.update(keys)
            spec["steps"].append({k: v for k, v in step.items() if v is not None})
        return mutate
    for what, keys, needles in [
        ("landscape-plane-two", {"plane": ["seed0", "seed1"]}, ["plane"]),
        ("landscape-plane-unknown", {"plane": ["seed0", "seed1", "nobody"]}, ["nobody"]),
        ("landscape-plane-repeated", {"plane": ["seed0", "seed1", "seed0"]}, ["plane"]),
        ("landscape-plane-and-center", {"center": "seed0"}, ["plane", "center"]),
        ("landscape-neither", {"plane": None}, ["plane", "center"]),
        ("landscape-grid-2^32", {"grid": [2**32, 3]}, ["grid"]),
        ("landscape-grid-one", {"grid": [1, 3]}, ["grid"]),
        ("landscape-grid-three", {"grid": [3, 3, 3]}, ["grid"]),
        ("landscape-x-reversed", {"x": [1.5, -0.5]}, ["x"]),
        ("landscape-x-string", {"x": ["a", 1]}, ["x"]),
        ("landscape-center-asymmetric", {"plane": None, "center": "seed0", "x": [-1, 2]}, ["x"]),
        ("landscape-split-both", {"split": "both"}, ["split"]),
        ("landscape-connectivity-6", {"connectivity": 6}, ["connectivity"]),
        ("landscape-precision-fp8", {"precision": "fp8"}, ["precision"]),
        ("landscape-subset-negative", {"subset": -1}, ["subset"]),
        ("landscape-project-unknown", {"project": ["ghost"]}, ["ghost"]),
    ]:
        add(what, landscape(**keys), needles)

    # The curve step.
    def curve(**keys):
        def mutate(spec):
            step = {"type": "curve", "id": "bend", "a": "seed0", "b": "seed1"}
            step.update(keys)
            spec["steps"].append(step)
        return mutate
    for what, keys, needles in [
        ("curve-same-models", {"b": "seed0"}, ["two different models"]),
        ("curve-kind-spline", {"curve": "spline"}, ["curve"]),
        ("curve-epochs-zero", {"epochs": 0}, ["epochs"]),
        ("curve-momentum-one", {"momentum": 1}, ["momentum"]),
        ("curve-points-2^32", {"points": 2**32}, ["points"]),
        ("curve-id-taken", {"id": "seed1"}, ["seed1", "already exists"]),
        ("curve-unknown-b", {"b": "ghost"}, ["ghost"]),
    ]:
        add(what, curve(**keys), needles)

    # The spectra step (docs/USER_GUIDE.md, "Spectra").
    def spectra(**keys):
        def mutate(spec):
            step = {"type": "spectra", "id": "S", "models": ["seed0", "seed1", "seed1@wm"], "aligned_to": "seed0"}
            step.update(keys)
            spec["steps"].append({k: v for k, v in step.items() if v is not None})
        return mutate
    for what, keys, needles in [
        ("spectra-models-empty", {"models": []}, ["models"]),
        ("spectra-models-missing", {"models": None}, ["models"]),
        ("spectra-models-unknown", {"models": ["seed0", "nobody"]}, ["nobody"]),
        ("spectra-models-repeated", {"models": ["seed0", "seed0"]}, ["models", "twice"]),
        ("spectra-aligned-to-unknown", {"aligned_to": "ghost"}, ["ghost"]),
        ("spectra-top-k-zero", {"top_k": 0}, ["top_k"]),
        ("spectra-top-k-2^32", {"top_k": 2**32}, ["top_k"]),
        ("spectra-gammas-above-one", {"gammas": [0, 1.5]}, ["gammas"]),
        ("spectra-gammas-empty", {"gammas": []}, ["gammas"]),
        ("spectra-gammas-string", {"gammas": "0.3"}, ["gammas"]),
        ("spectra-over-training-no-checkpoints", {"over_training": True}, ["over_training", "checkpoint_every"]),
        ("spectra-over-training-align-am", {"over_training_align": "am"}, ["over_training_align"]),
        ("spectra-over-training-string", {"over_training": "yes"}, ["over_training"]),
    ]:
        add(what, spectra(**keys), needles)

    # The layerwise step (docs/USER_GUIDE.md, "Layer-wise barriers").
    def layerwise(**keys):
        def mutate(spec):
            step = {"type": "layerwise", "id": "LW", "a": "seed0", "b": "seed1"}
            step.update(keys)
            spec["steps"].append({k: v for k, v in step.items() if v is not None})
        return mutate
    for what, keys, needles in [
        ("layerwise-b-missing", {"b": None}, ["b"]),
        ("layerwise-same-models", {"b": "seed0"}, ["b", "same model"]),
        ("layerwise-unknown-a", {"a": "ghost"}, ["ghost"]),
        ("layerwise-points-one", {"points": 1}, ["points"]),
        ("layerwise-split-all", {"split": "all"}, ["split"]),
        ("layerwise-cumulative-string", {"cumulative": "no"}, ["cumulative"]),
        ("layerwise-unknown-key", {"layers": ["fc1"]}, ["layers"]),
        ("layerwise-subset-negative", {"subset": -1}, ["subset"]),
    ]:
        add(what, layerwise(**keys), needles)

    # The hessian step (docs/USER_GUIDE.md, "Curvature").
    def hessian(**keys):
        def mutate(spec):
            step = {"type": "hessian", "id": "H", "model": "seed0", "path_to": "seed1@wm"}
            step.update(keys)
            spec["steps"].append({k: v for k, v in step.items() if v is not None})
        return mutate
    for what, keys, needles in [
        ("hessian-model-missing", {"model": None}, ["model"]),
        ("hessian-model-unknown", {"model": "nobody"}, ["nobody"]),
        ("hessian-path-to-unknown", {"path_to": "ghost"}, ["ghost"]),
        ("hessian-path-to-itself", {"path_to": "seed0"}, ["path_to", "two different models"]),
        ("hessian-top-k-above-max-iter", {"top_k": 20, "max_iter": 10}, ["top_k"]),
        ("hessian-tol-one", {"tol": 1}, ["tol"]),
        ("hessian-lr-zero", {"lr": 0}, ["lr"]),
        ("hessian-split-middle", {"split": "middle"}, ["split"]),
        ("hessian-samples-2^32", {"samples": 2**32}, ["samples"]),
        ("hessian-block-and-per-layer", {"block": "fc0", "per_layer": True}, ["block"]),
        ("hessian-path-points-one", {"path_points": 1}, ["path_points"]),
    ]:
        add(what, hessian(**keys), needles)
    archs = [
        ("arch-width-2^32", "mlp:8,4294967296,3"),
        ("arch-width-20-digits", "mlp:8,99999999999999999999,3"),
        ("arch-width-zero", "mlp:8,0,3"),
        ("arch-absurd-size", "mlp:8,100000000,3"),
        ("arch-too-big-for-memory", "mlp:8,10000000,3"),
        ("arch-30000-chars", "mlp:8," + "1," * 14996 + "3x"),
        ("arch-30000-x", "x" * 30000),
        ("arch-control-chars", "mlp:8,\n6\x1b[31m,3"),
        ("arch-quadratic-huge", "quadratic:dim=100000000"),
    ]
    for what, arch in archs:
        in_file = what != "arch-too-big-for-memory"  # found by the run's memory check
        if arch.startswith("quadratic"):
            add(what, lambda s, a=arch: s.update(model={"kind": "quadratic", "arch": a}), ["model.arch"],
                in_file=in_file)
        else:
            add(what, setter("model", "arch", arch), ["model.arch"], in_file=in_file)
    add("name-30000-chars", setter("name", "n" * 30000), ["name"])
    add("name-control-chars", setter("name", "a\nb\x07c"), ["name"])
    add("name-path", setter("name", "../../escape"), ["name"])
    add("description-30000-chars-nested", setter("description", [[["d" * 30000]]]), ["description"])
    add("gmm-overflow", setter("data", "name", "gmm:4294967297,10,8,3,7"), ["data.name"])
    add("gmm-short", setter("data", "name", "gmm:10,10,8,3"), ["data.name"])
    add("gmm-negative", setter("data", "name", "gmm:-10,10,8,3,7"), ["data.name"])
    # 10^13 values: refused from the name, not met as an allocation failure (exit 1).
    add("gmm-cannot-fit", setter("data", "name", "gmm:100000000,100000000,100000,3,7"), ["data.name"])
    add("data-missing-folder", setter("data", "name", "/no/such/folder"), ["data.name", "/no/such/folder"],
        in_file=False)
    add("duplicate-step-ids", lambda s: s["steps"].append(dict(s["steps"][0])), ["naive"])
    add("nesting-100000-arrays", None, [], raw=b'{"name": "tiny", "x": ' + b"[" * 100000 + b"]" * 100000 + b"}")
    add("nesting-100000-objects", None, [], raw=b'{"a":' * 100000 + b"1" + b"}" * 100000)
    add("nesting-100000-in-description", None, ["description"],
        raw=json.dumps(base_spec())[:-1].encode() + b', "description": ' + b"[" * 100000 + b"]" * 100000 + b"}")
    add("not-json", None, [], raw=b"name: tiny\n")
    add("truncated-json", None, [], raw=json.dumps(base_spec()).encode()[:57])
    add("empty-file", None, [], raw=b"")
    add("top-level-array", None, [], raw=b"[1, 2]")
    add("number-1e999", None, [], raw=json.dumps(base_spec()).replace('"lr": 0.01', '"lr": 1e999').encode())
    add("invalid-utf8", None, [], raw=b'{"name": "\xff\xfe"}')
    add("nul-byte", None, [], raw=b'{"name": "a\x00b"}')
    # Model entries (docs/USER_GUIDE.md, "Models"): external files and spawns are checked while
    # the spec is read, before anything trains.
    def model1(entry, **train):
        def mutate(spec):
            spec["models"][1] = entry
            spec["train"].update(train)
        return mutate
    add("models-path-missing", model1({"name": "seed1", "path": "nothere.safetensors"}),
        ["models[1].path", "nothere.safetensors"])
    add("models-path-not-safetensors", model1({"name": "seed1", "path": "spec_models-path-not-safetensors.json"}),
        ["models[1].path"])
    add("models-path-other-arch", lambda s: (model1({"name": "seed1", "path": "B.safetensors"})(s),
                                              s["model"].update(arch="mlp:8,7,3")),
        ["models[1].path", "B.safetensors", "mlp:8,7,3"])
    add("models-path-and-seed", model1({"name": "seed1", "path": "B.safetensors", "seed": 1}), ["models[1]", "seed"])
    add("models-path-empty", model1({"name": "seed1", "path": ""}), ["models[1].path"])
    add("models-no-seed", model1({"name": "seed1"}), ["models[1]", "seed"])
    add("models-from-unknown", model1({"name": "seed1", "from": "nobody@epoch0", "seed": 1}),
        ["models[1].from", "nobody"])
    add("models-from-itself", model1({"name": "seed1", "from": "seed1@epoch0", "seed": 1}, checkpoint_every=1),
        ["models[1].from", "seed1"])
    add("models-from-unkept-epoch", model1({"name": "seed1", "from": "seed0@epoch0", "seed": 1}),
        ["models[1].from", "checkpoint_every"])
    add("models-from-the-end", model1({"name": "seed1", "from": "seed0@epoch1", "seed": 1}),
        ["models[1].from", "nothing to train"])
    add("models-from-not-a-checkpoint", model1({"name": "seed1", "from": "seed0@wm", "seed": 1}), ["models[1].from"])
    add("models-from-epoch-2^40", model1({"name": "seed1", "from": "seed0@epoch1099511627776", "seed": 1}),
        ["models[1].from"])
    add("models-from-step-past-the-end",
        model1({"name": "seed1", "from": "seed0@step99999", "seed": 1}, checkpoint_every_steps=1),
        ["models[1].from", "optimizer steps"])
    add("step-checkpoint-unkept", setter("steps", 0, "a", "seed0@epoch0"), ["steps[0].a", "checkpoint_every"])
    add("step-checkpoint-of-file", lambda s: (model1({"name": "seed1", "path": "B.safetensors"})(s),
                                               s["steps"][0].update(b="seed1@epoch1")),
        ["steps[0].b", "external file"])
    add("checkpoint-every-steps-negative", setter("train", "checkpoint_every_steps", -1),
        ["train.checkpoint_every_steps"])
    add("checkpoint-every-steps-2^32", setter("train", "checkpoint_every_steps", 2**32),
        ["train.checkpoint_every_steps"])
    # Sweeps (docs/USER_GUIDE.md, "Studies"): refused while the study is read.
    def spawned(spec):
        spec["train"]["checkpoint_every_steps"] = 2
        spec["models"] = [{"name": "parent", "seed": 0},
                          {"name": "seed0", "from": "parent@step0", "seed": 1},
                          {"name": "seed1", "from": "parent@step0", "seed": 2}]
    add("sweep-seeds-odd", setter("sweep", {"seeds": [0, 1, 2]}), ["sweep.seeds", "even"])
    add("sweep-spawn-step-no-spawn", setter("sweep", {"spawn_step": [0]}), ["sweep.spawn_step", "spawns no model"])
    add("sweep-spawn-step-negative", lambda s: (spawned(s), s.update(sweep={"spawn_step": [-2]})),
        ["sweep.spawn_step[0]"])
    add("sweep-spawn-step-unkept", lambda s: (spawned(s), s.update(sweep={"spawn_step": [0, 3]})),
        ["spawn_step=3", "checkpoint_every_steps"])
    add("sweep-spawn-step-string", lambda s: (spawned(s), s.update(sweep={"spawn_step": ["epoch1"]})),
        ["sweep.spawn_step[0]"])
    add("sweep-seeds-three-spawns", lambda s: (spawned(s), s["models"].append(
        {"name": "c", "from": "parent@step0", "seed": 3}), s.update(sweep={"seeds": [4, 5]})),
        ["sweep.seeds", "exactly two spawned models"])
    # attn: attention variants of a transformer (names from the attention registry).
    def transformer(spec):
        spec["data"] = {"name": "task:mqar,vocab=16,length=8,pairs=2,train=64,test=32,seed=1"}
        spec["model"] = {"kind": "transformer",
                         "arch": "transformer:tokens=16,seq=8,d=8,heads=2,layers=1,ff=16,attn=softmax,causal"}
        spec["steps"] = [spec["steps"][0]]
    add("sweep-attn-on-mlp", setter("sweep", {"attn": ["softmax", "linear_elu"]}),
        ["sweep.attn", "applies to transformer models only (model.kind is mlp)"])
    add("sweep-attn-unknown", lambda s: (transformer(s), s.update(sweep={"attn": ["softmax", "flash"]})),
        ["sweep.attn", "unknown attention variant 'flash'", "known: softmax, linear_elu"])
    add("sweep-attn-twice", lambda s: (transformer(s), s.update(sweep={"attn": ["inline", "inline"]})),
        ["sweep.attn", "appears twice"])
    add("sweep-attn-number", lambda s: (transformer(s), s.update(sweep={"attn": [1]})),
        ["sweep.attn[0]"])
    add("sweep-attn-path", lambda s: (transformer(s), s.update(sweep={"attn": ["../softmax"]})),
        ["sweep.attn[0]"])
    add("sweep-width-on-transformer", lambda s: (transformer(s), s.update(sweep={"width": [4]})),
        ["sweep.width", "applies to mlp models only (model.kind is transformer)"])
    os.makedirs(os.path.join(work, "spec_is_a_folder.json"), exist_ok=True)
    cases.append(Case("spec-is-a-folder", ["run", "spec_is_a_folder.json"], ["spec_is_a_folder.json"]))
    cases.append(Case("spec-missing", ["run", "spec_nowhere.json"], ["spec_nowhere.json"]))
    return cases


def flag_cases(work):
    cases = []
    tr = ["train", "--arch", "mlp:8,6,3", "--data", GMM, "--out", "flag_out.safetensors"]
    ip = ["interpolate", "A.safetensors", "B.safetensors", "--data", GMM]
    al = ["align", "A.safetensors", "B.safetensors", "--data", GMM, "--out", "flag_al.safetensors"]
    mg = ["merge", "A.safetensors", "B.safetensors", "--data", GMM, "--out", "flag_mg.safetensors"]
    bad_ints = ["4294967297", "4294967296", "99999999999999999999", "-1", "abc", "", " 5", "+5", "0x10",
                "5.0", "1e3"]
    for flag in ("epochs", "batch", "seed", "threads", "checkpoint-every"):
        for value in bad_ints:
            if flag == "seed" and value in ("4294967296", "4294967297"):
                continue  # seeds are 64-bit: 2^32 is a valid seed
            cases.append(Case("train-%s-%r" % (flag, value), tr + ["--" + flag, value], ["--" + flag]))
    for flag, value in (("points", "4294967296"), ("points", "1"), ("points", "-3"), ("points", "x"),
                        ("chunk", "0"), ("repair-samples", "abc"), ("threads", "100000"),
                        ("train-subset", "-1"), ("test-subset", "4294967296"), ("subset-seed", "junk"),
                        ("split", "middle"), ("activation", "tanh"), ("device", "tpu")):
        cases.append(Case("interpolate-%s-%s" % (flag, value), ip + ["--" + flag, value], ["--" + flag]))
    cases.append(Case("interpolate-repair-samples-late", ip + ["--repair", "--repair-samples", "-1"],
                      ["--repair-samples"]))
    for flag, value in (("max-sweeps", "4294967296"), ("max-sweeps", "0"), ("samples", "-5"),
                        ("seed", "-1"), ("epochs", "4294967297"), ("batch", "4294967360"), ("lr", "nan"),
                        ("method", "xx")):
        cases.append(Case("align-%s-%s" % (flag, value), al + ["--method", "wm", "--" + flag, value],
                          ["--" + flag]))
    cases.append(Case("align-am-seed-junk", al + ["--method", "am", "--seed", "junk"], ["--seed"]))
    for flag, value in (("max-sweeps", "4294967296"), ("seed", "abc"), ("threads", "-2")):
        cases.append(Case("merge-%s-%s" % (flag, value), mg + ["--" + flag, value], ["--" + flag]))
    ls = ["landscape", "A.safetensors", "B.safetensors", "B.safetensors", "--data", GMM, "--out", "ls_out"]
    for flag, value in (("grid", "21"), ("grid", "1x5"), ("grid", "5x99999999999"), ("grid", "axb"),
                        ("grid", "-3x3"), ("x", "1"), ("x", "1:0"), ("x", "a:b"), ("x", "nan:1"),
                        ("y", "-inf:1"), ("y", "0:1e400"), ("split", "both"), ("subset", "-1"),
                        ("connectivity", "6"), ("chunk", "0"), ("precision", "fp8"), ("name", "../x"), ("name", ""),
                        ("project", "A.safetensors,,B.safetensors")):
        cases.append(Case("landscape-%s-%s" % (flag, value), ls + ["--" + flag, value], ["--" + flag]))
    cv = ["curve", "A.safetensors", "B.safetensors", "--data", GMM, "--out", "cv_out.safetensors"]
    for flag, value in (("kind", "spline"), ("epochs", "0"), ("epochs", "4294967297"), ("lr", "0"),
                        ("lr", "nan"), ("momentum", "1"), ("momentum", "-0.1"), ("batch", "0"),
                        ("seed", "junk"), ("points", "1"), ("split", "middle")):
        cases.append(Case("curve-%s-%s" % (flag, value), cv + ["--" + flag, value], ["--" + flag]))
    cases += [
        Case("curve-one-file", ["curve", "A.safetensors", "--data", GMM, "--out", "cv.safetensors"], ["two model files"]),
        Case("curve-out-folder", cv[:-1] + ["."], ["--out"]),
    ]
    lr = ["landscape", "A.safetensors", "--random", "--data", GMM, "--out", "ls_out"]
    cases += [
        Case("landscape-two-files", ls[:3] + ls[4:], ["three model files"]),
        Case("landscape-random-two-files", lr[:2] + ["B.safetensors"] + lr[2:], ["--random"]),
        Case("landscape-random-asymmetric", lr + ["--x", "-1:2"], ["--x"]),
        Case("landscape-seed-without-random", ls + ["--seed", "3"], ["--seed"]),
        Case("landscape-seed-junk", lr + ["--seed", "junk"], ["--seed"]),
        Case("landscape-same-models", ["landscape", "A.safetensors", "A.safetensors", "B.safetensors",
                                       "--data", GMM, "--out", "ls_out"], ["A", "same parameters"]),
        Case("landscape-out-is-file", ls[:-1] + ["A.safetensors"], ["--out"]),
    ]
    sp = ["spectra", "A.safetensors", "B.safetensors"]
    for flag, value in (("top-k", "0"), ("top-k", "4294967296"), ("top-k", "junk")):
        cases.append(Case("spectra-%s-%s" % (flag, value), sp + ["--" + flag, value], ["--" + flag]))
    hs = ["hessian", "A.safetensors", "--data", GMM]
    for flag, value in (("top-k", "-1"), ("top-k", "4294967296"), ("max-iter", "0"), ("tol", "0"),
                        ("tol", "1"), ("tol", "nan"), ("trace-samples", "-1"), ("density-vectors", "x"),
                        ("density-steps", "0"), ("lr", "0"), ("lr", "-1"), ("path-points", "1"),
                        ("path-lanczos", "-1"), ("samples", "-1"), ("seed", "junk"), ("chunk", "0"),
                        ("split", "both"), ("block", "nope")):
        cases.append(Case("hessian-%s-%s" % (flag, value), hs + ["--" + flag, value], ["--" + flag]))
    cases += [
        Case("hessian-no-file", ["hessian", "--json"], ["model file"]),
        Case("hessian-two-files", ["hessian", "A.safetensors", "B.safetensors"], ["one model file"]),
        Case("hessian-block-and-per-layer", hs + ["--block", "fc0", "--per-layer"], ["--block"]),
        Case("hessian-path-missing", hs + ["--path", "nobody.safetensors"], ["nobody.safetensors"]),
    ]
    cases += [
        Case("spectra-no-files", ["spectra", "--json"], ["model file"]),
        Case("spectra-missing-file", ["spectra", "nothere.safetensors"], ["nothere.safetensors"]),
        Case("spectra-aligned-to-missing", sp + ["--aligned-to", "nobody.safetensors"], ["nobody.safetensors"]),
    ]
    # `ridgeline tasks` (docs/USER_GUIDE.md, "Attention lab: tasks and metrics"): Zoology's
    # MQAR constraints (V > L, 4κ ≤ L, L even), sizes and options of other tasks.
    tk = ["tasks", "--task", "mqar", "--examples", "10", "--out", "tasks_out"]
    for flag, value in (("vocab", "64"), ("vocab", "0"), ("vocab", "4294967296"), ("length", "63"),
                        ("length", "-1"), ("pairs", "17"), ("pairs", "0"), ("passes", "0"),
                        ("power-a", "0"), ("power-a", "nan"), ("examples", "0"), ("examples", "1073741824"),
                        ("seed", "-1"), ("show", "x"), ("task", "mqra"), ("task", "")):
        cases.append(Case("tasks-%s-%s" % (flag, value), tk + ["--" + flag, value], ["--" + flag]))
    cases += [
        Case("tasks-no-task", ["tasks", "--examples", "3"], ["--task"]),
        Case("tasks-positional", tk + ["extra"], ["extra"]),
        Case("tasks-pairs-for-copying", ["tasks", "--task", "copying", "--pairs", "3"], ["--pairs"]),
        Case("tasks-all-targets-for-mqar", tk + ["--all-targets"], ["--all-targets"]),
        Case("tasks-copying-too-short", ["tasks", "--task", "copying", "--length", "19"], ["--length"]),
        Case("tasks-ar-length-odd", ["tasks", "--task", "ar", "--length", "41"], ["--length"]),
        Case("tasks-induction-too-short", ["tasks", "--task", "induction", "--tokens", "5", "--length", "11"],
             ["--length"]),
        Case("tasks-out-is-file", tk[:-1] + ["A.safetensors"], ["--out"]),
        Case("tasks-out-empty", tk[:-1] + [""], ["--out"]),
    ]
    # `ridgeline attention` and transformers through `ridgeline train` (docs/USER_GUIDE.md, "The
    # attention lab"): architecture texts, task: data names, models of another kind.
    arch_t = "transformer:tokens=32,seq=16,d=16,heads=2,layers=1,ff=16,attn=softmax,causal"
    task = "task:mqar,vocab=32,length=16,pairs=4,train=20,test=10"
    at = ["attention", "--train", "--arch", arch_t, "--data", task, "--out", "att_out"]
    cases += [
        Case("attention-no-out", at[:-2], ["--out"]),
        Case("attention-unknown-variant", at + ["--variants", "softmax,nope"], ["nope"]),
        Case("attention-arch-mlp", ["attention", "--train", "--arch", "mlp:16,8,32", "--data", task,
                                    "--out", "att_out"], ["not a transformer"]),
        Case("attention-model-is-mlp", ["attention", "A.safetensors", "--data", GMM, "--out", "att_out"],
             ["A.safetensors", "not a transformer"]),
        Case("attention-no-models", ["attention", "--data", task, "--out", "att_out"], ["--train"]),
        Case("attention-task-unknown-key", ["attention", "--train", "--arch", arch_t, "--data",
                                            "task:mqar,depth=3", "--out", "att_out"], ["depth"]),
        Case("attention-task-unknown", ["attention", "--train", "--arch", arch_t, "--data", "task:mqra",
                                        "--out", "att_out"], ["mqra"]),
        Case("attention-task-train-huge", ["attention", "--train", "--arch", arch_t, "--data",
                                           "task:mqar,train=1e12", "--out", "att_out"], ["train"]),
        Case("attention-task-vocab-too-small", ["attention", "--train", "--arch", arch_t, "--data",
                                                "task:mqar,vocab=8,length=16", "--out", "att_out"], ["vocab"]),
        Case("attention-examples-zero", at + ["--examples", "0"], ["--examples"]),
        Case("train-transformer-on-gmm", ["train", "--arch", arch_t, "--data", GMM, "--out", "t.safetensors"],
             ["tokens per example"]),
        Case("train-transformer-heads-indivisible", ["train", "--arch", arch_t.replace("d=16", "d=15"),
                                                     "--data", task, "--out", "t.safetensors"], ["divisible"]),
        Case("train-transformer-patch-indivisible",
             ["train", "--arch", "transformer:image=28x28,patch=5,classes=10,d=8,heads=1,layers=1,ff=8,attn=softmax",
              "--data", GMM, "--out", "t.safetensors"], ["patch"]),
        Case("train-task-standardize", ["train", "--arch", arch_t, "--data", task, "--standardize",
                                        "--out", "t.safetensors"], ["standardized"]),
        Case("train-task-vocab-beyond-model", ["train", "--arch", arch_t, "--data",
                                               "task:mqar,vocab=64,length=16,pairs=4", "--out", "t.safetensors"],
             ["classes"]),
    ]
    lwc = ["layerwise", "A.safetensors", "B.safetensors", "--data", GMM]
    cases += [
        Case("layerwise-one-file", lwc[:2] + lwc[3:], ["two model files"]),
        Case("layerwise-missing-file", ["layerwise", "A.safetensors", "nothere.safetensors", "--data", GMM],
             ["nothere.safetensors"]),
        Case("layerwise-points-junk", lwc + ["--points", "junk"], ["--points"]),
        Case("layerwise-split-all", lwc + ["--split", "all"], ["--split"]),
    ]
    cases += [
        Case("train-unknown-option", tr + ["--bogus", "1"], ["--bogus"]),
        Case("train-missing-value", tr + ["--epochs"], ["--epochs"]),
        Case("train-flag-with-value", tr + ["--json=1"], ["--json"]),
        Case("train-lr-inf", tr + ["--lr", "inf"], ["--lr"]),
        Case("train-momentum-junk", tr + ["--momentum", "abc"], ["--momentum"]),
        Case("train-arch-30000-chars", ["train", "--arch", "mlp:8," + "1," * 14996 + "3x", "--data", GMM,
                                        "--out", "x.safetensors"], ["--arch"]),
        Case("train-arch-control-chars", ["train", "--arch", "mlp:8\n6\r\x1b[2J,3", "--data", GMM,
                                          "--out", "x.safetensors"], ["--arch"]),
        Case("train-arch-absurd-size", ["train", "--arch", "mlp:784,100000000,10", "--data", GMM,
                                        "--out", "x.safetensors"], ["--arch"]),
        Case("train-data-gmm-junk", ["train", "--arch", "mlp:8,6,3", "--data", "gmm:a,b,c,d,e",
                                     "--out", "x.safetensors"], ["gmm:a,b,c,d,e"]),
        Case("train-positional", tr + ["extra"], ["extra"]),
        Case("interpolate-one-file", ["interpolate", "A.safetensors", "--data", GMM], ["interpolate"]),
        Case("interpolate-file-with-newline", ["interpolate", "no\nsuch.safetensors", "B.safetensors",
                                               "--data", GMM], ["no\\nsuch.safetensors"]),
        Case("run-two-specs", ["run", "a.json", "b.json"], ["run"]),
        Case("runs-unknown-action", ["runs", "frobnicate"], ["runs"]),
        Case("runs-show-unknown-id", ["runs", "show", "no-such-run", "--workspace", "."], ["no-such-run"]),
        Case("runs-list-no-workspace", ["runs", "list", "--workspace", "no/such/ws"], ["no/such/ws"]),
    ]
    return cases


def output_cases(work):
    cases = []
    os.makedirs(os.path.join(work, "outdir"), exist_ok=True)
    with open(os.path.join(work, "plainfile"), "w") as f:
        f.write("x")
    os.mkfifo(os.path.join(work, "a_fifo"))
    spec = os.path.join(work, "out_spec.json")
    with open(spec, "w") as f:
        json.dump(base_spec(), f)
    commands = {
        "train": ["train", "--arch", "mlp:8,6,3", "--data", GMM, "--epochs", 1, "--quiet"],
        "align": ["align", "A.safetensors", "B.safetensors", "--data", GMM, "--quiet"],
        "merge": ["merge", "A.safetensors", "B.safetensors", "--data", GMM, "--quiet"],
    }
    places = {
        "folder": "outdir",
        "empty": "",
        "proc": "/proc/ridgeline-out.safetensors",
        "parent-is-file": "plainfile/out.safetensors",
        "grandparent-is-file": "plainfile/sub/out.safetensors",
        # Not a regular file. Never /dev/null here: a binary without the check, run as root,
        # would rename its output over the machine's /dev/null.
        "fifo": "a_fifo",
    }
    for cmd, args in commands.items():
        for what, place in places.items():
            cases.append(Case("%s-out-%s" % (cmd, what), args + ["--out", place], ["--out"]))
    for what, place in (("file", "plainfile"), ("empty", ""), ("proc", "/proc/ridgeline-run"),
                        ("parent-is-file", "plainfile/run")):
        cases.append(Case("run-out-%s" % what, ["run", "out_spec.json", "--out", place, "--quiet"], ["--out"]))
    for what, place in (("file", "plainfile"), ("proc", "/proc/ridgeline-ws")):
        cases.append(Case("run-workspace-%s" % what, ["run", "out_spec.json", "--workspace", place, "--quiet"],
                          ["--workspace"]))
    # A folder without write permission: as root permissions do not apply, so the case runs as
    # nobody (setpriv) when started by root, and is left out when that is not possible.
    ro = os.path.join(work, "readonly")
    os.makedirs(ro, exist_ok=True)
    os.chmod(ro, 0o555)
    as_nobody = os.geteuid() == 0
    if not as_nobody or shutil.which("setpriv"):
        for cmd, args in commands.items():
            cases.append(Case("%s-out-readonly-folder" % cmd, args + ["--out", "readonly/out.safetensors"],
                              ["--out"], as_nobody=as_nobody))
        cases.append(Case("run-out-readonly-folder", ["run", "out_spec.json", "--out", "readonly/run", "--quiet"],
                          ["--out"], as_nobody=as_nobody))
    return cases


def study_folder_cases(exe, work):
    """A study folder left by an earlier run, then corrupted or hand-edited: its study.json or a
    cell's results/barriers.json. `ridgeline study DIR` and `ridgeline figure DIR --view study`
    must both refuse it with one line naming the file (docs/USER_GUIDE.md, "Studies")."""
    spec = dict(base_spec(), name="tiny-study", sweep={"width": [4, 6], "seeds": [0, 1]})
    with open(os.path.join(work, "study_spec.json"), "w") as f:
        json.dump(spec, f)
    r = run(exe, ["run", "study_spec.json", "--out", "study_good", "--threads", 1, "--quiet"], work)
    if r.returncode != 0:
        sys.exit("fixture: ridgeline run (study) failed: " + r.stderr.decode(errors="replace"))
    good = os.path.join(work, "study_good")
    with open(os.path.join(good, "study.json")) as f:
        record_text = f.read()
    cell = "cells/width=4,pair=0/results/barriers.json"
    with open(os.path.join(good, cell)) as f:
        barriers_text = f.read()
    cases = []

    def add(what, file, content, needles):
        folder = "study_" + what
        shutil.copytree(good, os.path.join(work, folder))
        target = os.path.join(work, folder, file)
        if isinstance(content, str):
            with open(target, "w") as f:
                f.write(content)
        else:
            content(target)
        for cmd, args in (("study", ["study", folder]),
                          ("figure", ["figure", folder, "--view", "study", "--out", folder + ".pdf"])):
            cases.append(Case("%s-%s" % (cmd, what), args, [file] + needles))

    def record(edit):
        r = json.loads(record_text)
        edit(r)
        return json.dumps(r, indent=1)

    def rows(edit):
        r = json.loads(barriers_text)
        edit(r)
        return json.dumps(r, indent=1)

    add("record-truncated", "study.json", record_text[: len(record_text) // 2], ["invalid JSON"])
    add("record-empty", "study.json", "", ["invalid JSON"])
    add("record-not-object", "study.json", "[" + record_text + "]", ["not a study record"])
    add("record-no-spec", "study.json", record(lambda r: r.pop("spec")), ["spec", "missing"])
    add("record-spec-bad-sweep", "study.json", record(lambda r: r["spec"]["sweep"].update(width=[0])),
        ["sweep.width[0]"])
    add("record-status-unknown", "study.json", record(lambda r: r.update(status="done")),
        ["status", "unknown status 'done'"])
    add("record-status-number", "study.json", record(lambda r: r.update(status=1)), ["status", "not a string"])
    add("record-seconds-text", "study.json", record(lambda r: r.update(seconds="1 s")), ["seconds"])
    add("record-no-cells", "study.json", record(lambda r: r.pop("cells")), ["cells", "missing"])
    add("record-cell-no-name", "study.json", record(lambda r: r["cells"][1].pop("name")),
        ["cells[1]", "\"name\""])
    add("record-cell-not-in-grid", "study.json", record(lambda r: r["cells"][0].update(name="width=5,pair=0")),
        ["cells[0].name", "width=5,pair=0", "not a cell"])
    add("record-cell-twice", "study.json", record(lambda r: r["cells"].append(r["cells"][0])),
        ["cells[2].name", "twice"])
    add("record-cell-status-unknown", "study.json", record(lambda r: r["cells"][0].update(status="ok")),
        ["cells[0].status", "unknown status 'ok'"])
    # A cell's run folder is always STUDY_DIR/cells/<name>: a "dir" elsewhere is refused, never
    # followed (path traversal) nor silently ignored.
    add("record-cell-dir-traversal", "study.json", record(lambda r: r["cells"][0].update(dir="../../etc")),
        ["cells[0].dir", "../../etc", "cells/width=4,pair=0"])
    add("record-cell-dir-absolute", "study.json", record(lambda r: r["cells"][1].update(dir="/etc")),
        ["cells[1].dir", "/etc"])
    add("record-deep", "study.json", '{"spec": ' + "[" * 100000 + "]" * 100000 + "}", ["nested deeper"])
    add("record-control-chars", "study.json", record(lambda r: r.update(status="\x1b[2J\nrunning")),
        ["status", "\\x1b"])
    add("barriers-truncated", cell, barriers_text[: len(barriers_text) // 2], ["invalid JSON"])
    add("barriers-not-array", cell, json.dumps({"rows": json.loads(barriers_text)}), ["not an array"])
    add("barriers-text-barrier", cell, rows(lambda r: r[0].update(loss_lin="0.3")), ["[0].loss_lin", "not a number"])
    add("barriers-no-split", cell, rows(lambda r: r[1].pop("split")), ["[1]", "\"split\""])
    add("barriers-split-unknown", cell, rows(lambda r: r[0].update(split="val")), ["[0].split", "val"])
    add("barriers-no-step", cell, rows(lambda r: r[0].pop("step")), ["[0]", "\"step\""])
    add("barriers-step-not-an-id", cell, rows(lambda r: r[0].update(step="naive,\nwm")), ["[0].step", "\\n"])
    add("barriers-row-twice", cell, rows(lambda r: r.append(r[0])), ["a second row"])
    add("barriers-error-percent", cell, rows(lambda r: r[0].update(error_lin=58.49)),
        ["[0].error_lin", "58.49", "fraction"])
    add("barriers-overflow", cell, barriers_text.replace('"loss_lin": ', '"loss_lin": 1e999, "x": ', 1),
        ["invalid JSON"])
    add("barriers-is-folder", cell, lambda t: (os.remove(t), os.makedirs(t)), ["is a directory"])
    # The study figure's flags on a good study folder.
    fig = ["figure", "study_good", "--view", "study", "--out", "flags.pdf"]
    for what, flags, needles in (("x-unknown", ["--x", "bogus"], ["--x bogus", "choices: width"]),
                                 ("x-control-chars", ["--x", "w\x1b[2J\n"], ["--x", "\\x1b"]),
                                 ("where-unknown-key", ["--where", "depth=2"], ["--where depth", "width"]),
                                 ("where-no-value", ["--where", "width"], ["--where width", "KEY=VALUE"]),
                                 ("where-unknown-value", ["--where", "width=5"], ["--where width=5", "4, 6"]),
                                 ("where-twice", ["--where", "width=4,width=6"], ["--where width", "twice"]),
                                 ("band-unknown", ["--band", "sd"], ["--band sd"])):
        cases.append(Case("figure-study-" + what, fig + flags, needles))
    return cases


# ----------------------------------------------------------------------------- runner

def landscape_folder_cases(exe, work):
    """A run folder whose landscape results (results/plane.json and its .npy grids) were
    corrupted or hand-edited after the run: `ridgeline figure RUN --view landscape:plane` must
    refuse it with one line naming the file (docs/USER_GUIDE.md, "Landscapes"). (`ridgeline runs
    show` reads only the catalog, never results files.)"""
    spec = base_spec()
    spec["name"] = "tiny-landscape"
    spec["steps"] = spec["steps"] + [{"type": "landscape", "id": "plane", "plane": ["seed0", "seed1", "seed1@wm"],
                                      "grid": [5, 4], "x": [-0.5, 1.5], "y": [-0.5, 1.0]}]
    with open(os.path.join(work, "landscape_spec.json"), "w") as f:
        json.dump(spec, f)
    r = run(exe, ["run", "landscape_spec.json", "--out", "landscape_good", "--threads", 1, "--quiet"], work)
    if r.returncode != 0:
        sys.exit("fixture: ridgeline run (landscape) failed: " + r.stderr.decode(errors="replace"))
    good = os.path.join(work, "landscape_good")
    with open(os.path.join(good, "results", "plane.json")) as f:
        text = f.read()
    cases = []

    def npy(values, shape):
        header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }" % "".join("%d," % d for d in shape)
        header += " " * (63 - (10 + len(header)) % 64) + "\n"
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + struct.pack(
            "<%dd" % len(values), *values)

    def add(what, file, content, needles):
        folder = "landscape_" + what
        shutil.copytree(good, os.path.join(work, folder))
        target = os.path.join(work, folder, "results", file)
        if content is None:
            os.remove(target)
        else:
            with open(target, "wb") as f:
                f.write(content if isinstance(content, bytes) else content.encode())
        cases.append(Case("figure-landscape-" + what,
                          ["figure", folder, "--view", "landscape:plane", "--out", folder + ".png"],
                          [file] + needles))

    def edit(change):
        j = json.loads(text)
        change(j)
        return json.dumps(j, indent=1)

    add("json-truncated", "plane.json", text[: len(text) // 2], ["not JSON"])
    add("json-empty", "plane.json", "", ["not JSON"])
    add("json-array", "plane.json", "[" + text + "]", ["not an object"])
    add("kind-unknown", "plane.json", edit(lambda j: j.update(kind="line")), ["kind"])
    add("kind-hessian-without-record", "plane.json", edit(lambda j: j.update(kind="hessian")), ["hessian"])
    add("hessian-pair-top3", "plane.json",
        edit(lambda j: j.update(kind="hessian", hessian={"pair": "top3", "eigenvalues": [1, 0.5],
                                                         "residuals": [0, 0], "converged": True,
                                                         "batch": "", "seed": 0})), ["hessian.pair"])
    add("models-string", "plane.json", edit(lambda j: j.update(models="seed0")), ["models"])
    add("connectivity-6", "plane.json", edit(lambda j: j.update(connectivity=6)), ["connectivity"])
    add("precision-fp8", "plane.json", edit(lambda j: j.update(precision="fp8")), ["precision"])
    add("subset-2-31", "plane.json", edit(lambda j: j.update(subset=1 << 31)), ["subset"])
    add("files-traversal", "plane.json", edit(lambda j: j["files"].update(loss="../../A.safetensors")),
        ["files.loss"])
    add("files-dotdot", "plane.json", edit(lambda j: j["files"].update(xs="..")), ["files.xs"])
    add("pass-cell-outside", "plane.json", edit(lambda j: j["pass"]["cells"][0].__setitem__(0, 99)),
        ["pass.cells"])
    add("pass-highest-outside", "plane.json", edit(lambda j: j["pass"].update(highest=[-1, 0])),
        ["pass.highest"])
    add("pass-short-loss", "plane.json", edit(lambda j: j["pass"]["loss"].pop()), ["pass"])
    add("saddle-null", "plane.json",
        edit(lambda j: j.update(persistence=[dict(j["persistence"][0], death=1.0, saddle=None)])), ["saddle"])
    add("loss-npy-missing", "plane.loss.npy", None, [])
    add("loss-npy-truncated", "plane.loss.npy", npy([0.5] * 20, [4, 5])[:100], [])
    add("loss-npy-text", "plane.loss.npy", "loss\n", [])
    add("loss-shape", "plane.json", None, ["grids do not match"])
    cases[-1].needles = ["plane.json", "grids do not match"]
    with open(os.path.join(work, "landscape_loss-shape", "results", "plane.json"), "w") as f:
        f.write(text)  # the JSON is fine; its loss grid is [5, 4] where the axes say [4, 5]
    with open(os.path.join(work, "landscape_loss-shape", "results", "plane.loss.npy"), "wb") as f:
        f.write(npy([0.5] * 20, [5, 4]))
    add("xs-decreasing", "plane.xs.npy", npy([1.5, 1.0, 0.5, 0.0, -0.5], [5]), [])
    cases[-1].needles = ["plane.json", "files.xs", "strictly increasing"]
    return cases


def analysis_folder_cases(exe, work):
    """A run folder whose spectra and layerwise results (results/S.json, results/LW.json) were
    corrupted or hand-edited after the run: `ridgeline figure RUN --view ...` must refuse it with
    one line naming the file and the problem (docs/USER_GUIDE.md, "Spectra", "Layer-wise
    barriers"), never index past an array."""
    spec = base_spec()
    spec["name"] = "tiny-analyses"
    spec["steps"] = spec["steps"] + [
        {"type": "spectra", "id": "S", "models": ["seed0", "seed1", "seed1@wm"], "aligned_to": "seed0", "top_k": 4},
        {"type": "layerwise", "id": "LW", "a": "seed0", "b": "seed1@wm", "points": 3},
        {"type": "hessian", "id": "H", "model": "seed0", "path_to": "seed1@wm", "top_k": 2, "max_iter": 10,
         "trace_samples": 5, "samples": 100, "density_steps": 10, "path_points": 3, "path_lanczos": 5,
         "path_trace_samples": 2}]
    with open(os.path.join(work, "analysis_spec.json"), "w") as f:
        json.dump(spec, f)
    r = run(exe, ["run", "analysis_spec.json", "--out", "analysis_good", "--threads", 1, "--quiet"], work)
    if r.returncode != 0:
        sys.exit("fixture: ridgeline run (spectra, layerwise) failed: " + r.stderr.decode(errors="replace"))
    good = os.path.join(work, "analysis_good")
    texts = {}
    for name in ("S.json", "LW.json", "H.json"):
        with open(os.path.join(good, "results", name)) as f:
            texts[name] = f.read()
    cases = []

    def add(what, file, change, needles, view):
        folder = "analysis_" + what
        shutil.copytree(good, os.path.join(work, folder))
        if callable(change):
            j = json.loads(texts[file])
            change(j)
            content = json.dumps(j, indent=1)
        else:
            content = change
        with open(os.path.join(work, folder, "results", file), "w") as f:
            f.write(content)
        cases.append(Case("figure-" + what, ["figure", folder, "--view", view, "--out", folder + ".png"],
                          [file] + needles))

    S, LW = "S.json", "LW.json"
    add("spectra-truncated", S, texts[S][: len(texts[S]) // 2], ["not a spectra result"], "esd:S")
    add("spectra-sv-count", S, lambda j: j["models"][0]["layers"][0]["singular_values"].pop(),
        ["min(rows, cols) singular values"], "esd:S")
    add("spectra-sv-negative", S, lambda j: j["models"][1]["layers"][1]["singular_values"].__setitem__(-1, -1.0),
        ["non-negative"], "spectra:S")
    add("spectra-k-too-big", S, lambda j: j["alignments"][0]["layers"][0].update(k=999), ["k is not within"],
        "spectra:S")
    add("spectra-r-short", S, lambda j: j["alignments"][1]["r"].pop(), ["one value per gamma"], "spectra:S")
    add("spectra-overlap-nan", S, lambda j: j["alignments"][0]["layers"][1]["u_overlap"].__setitem__(0, None),
        ["alignments"], "spectra:S")
    add("spectra-models-string", S, lambda j: j.update(models="seed0"), ["models"], "esd:S")
    add("layerwise-truncated", LW, texts[LW][:100], ["not a layer-wise result"], "layerwise:LW")
    add("layerwise-base-c", LW, lambda j: j["paths"][0].update(base="c"), ["base"], "layerwise:LW")
    add("layerwise-unknown-layer", LW, lambda j: j["paths"][0].update(layers=["fc9"], layer="fc9"),
        ["unknown layer fc9"], "layerwise:LW")
    add("layerwise-curve-short", LW, lambda j: j["paths"][1]["curve"]["test"]["loss"].pop(),
        ["do not match alpha"], "layerwise:LW")
    H = "H.json"
    add("hessian-truncated", H, texts[H][: len(texts[H]) // 2], ["not a Hessian report"], "hessian:H")
    add("hessian-selections-string", H, lambda j: j.update(selections="all"), ["not a Hessian report"],
        "hessian:H")
    # A float where a count belongs: refused, never converted by an undefined cast.
    add("hessian-parameters-float", H, lambda j: j["selections"][0].update(parameters=2e49), ["parameters"],
        "hessian:H")
    add("hessian-rows-negative", H, lambda j: j.update(rows=-3), ["rows"], "hessian:H")
    add("hessian-eigen-string", H, lambda j: j["selections"][0]["eigen"].update(values=["big"]),
        ["not a Hessian report"], "hessian:H")
    add("hessian-seconds-overflow", H, texts[H].replace('"seconds":', '"seconds": 1e400, "was":', 1),
        ["seconds"], "hessian:H")
    add("hessian-path-short", H, lambda j: j["paths"][0]["loss"].pop(), ["not a Hessian report"], "hessian:H")
    add("layerwise-seconds-overflow", LW, texts[LW].replace('"seconds":', '"seconds": 1e400, "was":', 1),
        ["seconds"], "layerwise:LW")
    add("spectra-top-k-float", S, lambda j: j.update(top_k=2.2e49), ["top_k"], "esd:S")
    return cases


def attention_folder_cases(exe, work):
    """A folder written by `ridgeline attention` whose comparison.json or tokens.json was then
    corrupted: its figure (`ridgeline figure DIR --view attention:DIR`) refuses it with one line
    naming the file; a model name is never a path out of the folder."""
    task = "task:mqar,vocab=16,length=8,pairs=2,train=64,test=32,seed=1"
    r = run(exe, ["attention", "--train", "--variants", "softmax", "--arch",
                  "transformer:tokens=16,seq=8,d=8,heads=2,layers=1,ff=8,attn=softmax,causal",
                  "--data", task, "--epochs", 1, "--examples", 4, "--show", 1, "--threads", 1,
                  "--out", "att_good", "--quiet"], work)
    if r.returncode != 0:
        sys.exit("fixture: ridgeline attention --train failed: " + r.stderr.decode(errors="replace"))
    good = os.path.join(work, "att_good")
    cases = []

    def add(what, name, content, needles, names_file=True):
        folder = "att_" + what
        shutil.copytree(good, os.path.join(work, folder))
        with open(os.path.join(work, folder, name), "w") as f:
            f.write(content)
        cases.append(Case("figure-attention-folder-" + what,
                          ["figure", folder, "--view", "attention:" + folder, "--out", folder + ".png"],
                          ([name] if names_file else []) + needles))

    add("truncated", "comparison.json", '{"models": [{"name": "soft', ["invalid JSON"])
    add("no-models", "comparison.json", '{"models": []}', ["models"])
    add("name-path", "comparison.json", '{"models": [{"name": "../att_good/softmax"}]}', ["not a plain file name"])
    add("name-twice", "comparison.json", '{"models": [{"name": "softmax"}, {"name": "softmax"}]}', ["twice"])
    # The analysis it names is not there: the message names that file.
    add("name-missing", "comparison.json", '{"models": [{"name": "other"}]}', ["other.json"],
        names_file=False)
    add("tokens-numbers", "tokens.json", '{"tokens": [1, 2]}', ["tokens"])
    return cases


def orthogonal_folder_cases(exe, work):
    """A run of two tiny transformers aligned with the orthogonal map of the residual stream
    and learned matching after it (permutations within heads first), whose
    results/W.orthogonal.json, W.learned.json or W.json (its within_heads object) was then
    corrupted: the alignment figure (which reads them for its "W+orth" and "W+learned" rows)
    refuses each with one line naming the file."""
    task = "task:mqar,vocab=16,length=8,pairs=2,train=64,test=32,seed=1"
    spec = {"name": "tiny-orth", "data": {"name": task},
            "model": {"kind": "transformer",
                      "arch": "transformer:tokens=16,seq=8,d=8,heads=2,layers=1,ff=8,attn=softmax,causal"},
            "train": {"epochs": 1, "batch": 32, "lr": 0.01},
            "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
            "steps": [{"type": "align", "id": "W", "a": "seed0", "b": "seed1", "method": "wm",
                       "within_heads": True, "orthogonal": True, "learn": True, "epochs": 1}]}
    with open(os.path.join(work, "orth_spec.json"), "w") as f:
        json.dump(spec, f)
    r = run(exe, ["run", "orth_spec.json", "--out", "orth_good", "--threads", 1, "--quiet"], work)
    if r.returncode != 0:
        sys.exit("fixture: ridgeline run (orthogonal align) failed: " + r.stderr.decode(errors="replace"))
    good = os.path.join(work, "orth_good")
    texts = {}
    for name in ("W.orthogonal.json", "W.learned.json", "W.json"):
        with open(os.path.join(good, "results", name)) as f:
            texts[name] = f.read()
    cases = []

    def add(what, change, needles, name="W.orthogonal.json"):
        text = texts[name]
        folder = "orth_" + what
        shutil.copytree(good, os.path.join(work, folder))
        if callable(change):
            j = json.loads(text)
            change(j)
            content = json.dumps(j, indent=1)
        else:
            content = change
        with open(os.path.join(work, folder, "results", name), "w") as f:
            f.write(content)
        cases.append(Case("figure-orthogonal-" + what,
                          ["figure", folder, "--view", "alignment", "--out", folder + ".png"], [name] + needles))

    text = texts["W.orthogonal.json"]
    add("truncated", text[: len(text) // 2], ["invalid JSON"])
    add("not-object", "[1, 2]", ["expected an object"])
    add("method-number", lambda j: j.update(method=3), ["method"])
    add("mismatch-missing", lambda j: j.pop("stream_mismatch_after"), ["stream_mismatch_after"])
    add("l2-string", lambda j: j.update(l2_before="12"), ["l2_before"])
    add("seconds-overflow", text.replace('"seconds":', '"seconds": 1e400, "was":', 1), ["seconds"])
    add("deep", "[" * 5000 + "]" * 5000, ["nested deeper"])
    learned = "W.learned.json"
    ltext = texts[learned]
    add("learned-truncated", ltext[: len(ltext) // 2], ["invalid JSON"], learned)
    add("learned-loss-missing", lambda j: j.pop("midpoint_train_loss_after"),
        ["midpoint_train_loss_after"], learned)
    add("learned-epochs-float", lambda j: j.update(epochs=1.5), ["epochs"], learned)
    add("learned-per-epoch-short", lambda j: j.update(midpoint_train_loss_per_epoch=[0.5]),
        ["midpoint_train_loss_per_epoch", "epochs + 1"], learned)
    add("learned-best-epoch-range", lambda j: j.update(best_epoch=7), ["best_epoch"], learned)
    add("learned-lambda-order", lambda j: j.update({"lambda": [0.6, 0.4]}), ["lambda"], learned)
    add("learned-loss-overflow",
        ltext.replace('"midpoint_train_loss_before":', '"midpoint_train_loss_before": 1e400, "was":', 1),
        ["number overflow"], learned)
    # The step's own report, whose within_heads object the alignment view reads back.
    add("heads-moved-count", lambda j: j["within_heads"].update(vo_moved=j["within_heads"]["heads"] + 1),
        ["within_heads", "moved counts"], "W.json")
    add("heads-qk-not-perm", lambda j: j["within_heads"]["qk"][0].__setitem__(0, 99),
        ["within_heads.qk[0]", "not a permutation"], "W.json")
    add("heads-not-object", lambda j: j.update(within_heads=[1]), ["within_heads", "expected an object"],
        "W.json")
    return cases


def check(exe, work, case):
    prefix = ()
    if case.as_nobody:
        prefix = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    started = time.monotonic()
    try:
        r = run(exe, case.args, case.cwd or work, case.env, prefix=prefix)
    except subprocess.TimeoutExpired:
        return "did not finish within %d s" % TIMEOUT_S, time.monotonic() - started
    seconds = time.monotonic() - started
    err = r.stderr.decode("utf-8", errors="replace")
    lines = err.rstrip("\n").split("\n") if err.strip() else []
    problems = []
    if r.returncode != 2:
        problems.append("exit %d (expected 2)" % r.returncode)
    if len(lines) != 1:
        problems.append("%d stderr lines (expected 1)" % len(lines))
    for needle in case.needles:
        if needle not in err:
            problems.append("stderr does not name %r" % needle[:60])
    if problems:
        shown = err if len(err) < 600 else err[:600] + "..."
        return "; ".join(problems) + "\n      stderr: " + shown.replace("\n", "\n              "), seconds
    return None, seconds


def load_known_failures(path):
    known = {}
    if not path:
        return known
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                name, _, reason = line.partition(" ")
                known[name] = reason.strip()
    return known


def checkpoint_folder_cases(work):
    """GPT-2-family checkpoint folders (docs/USER_GUIDE.md, "Real checkpoints") and --ids."""
    V, P, D, L = 11, 6, 8, 1

    def tensors(extra=None, drop=(), reshape=()):
        t = {"wte.weight": [V, D], "wpe.weight": [P, D], "ln_f.weight": [D], "ln_f.bias": [D]}
        for l in range(L):
            h = "h.%d." % l
            t.update({h + "ln_1.weight": [D], h + "ln_1.bias": [D], h + "attn.c_attn.weight": [D, 3 * D],
                      h + "attn.c_attn.bias": [3 * D], h + "attn.c_proj.weight": [D, D],
                      h + "attn.c_proj.bias": [D], h + "ln_2.weight": [D], h + "ln_2.bias": [D],
                      h + "mlp.c_fc.weight": [D, 4 * D], h + "mlp.c_fc.bias": [4 * D],
                      h + "mlp.c_proj.weight": [4 * D, D], h + "mlp.c_proj.bias": [D]})
        t.update(extra or {})
        for k in drop:
            del t[k]
        for k in reshape:
            t[k] = list(reversed(t[k]))
        return t

    def write_folder(name, config, shapes=None, config_text=None):
        folder = os.path.join(work, name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            f.write(config_text if config_text is not None else json.dumps(config))
        if shapes is None:
            return
        header, offset = {}, 0
        for k, shape in shapes.items():
            n = 4
            for x in shape:
                n *= x
            header[k] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + n]}
            offset += n
        h = json.dumps(header).encode()
        h += b" " * ((8 - len(h) % 8) % 8)
        with open(os.path.join(folder, "model.safetensors"), "wb") as f:
            f.write(struct.pack("<Q", len(h)) + h + struct.pack("<f", 0.1) * (offset // 4))

    cfg = {"model_type": "gpt2", "vocab_size": V, "n_positions": P, "n_embd": D, "n_layer": L, "n_head": 2,
           "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5}
    write_folder("g_ok", cfg, tensors())
    rows = [
        ("activation-relu", dict(cfg, activation_function="relu"), tensors(), None, ["config.json", "activation_function"]),
        ("epsilon", dict(cfg, layer_norm_epsilon=1e-6), tensors(), None, ["config.json", "layer_norm_epsilon"]),
        ("cross-attention-flag", dict(cfg, add_cross_attention=True), tensors(), None, ["add_cross_attention"]),
        ("cross-attention-tensor", cfg, tensors({"h.0.crossattention.c_attn.weight": [D, 2 * D]}), None,
         ["model.safetensors", "cross-attention"]),
        ("unknown-tensor", cfg, tensors({"h.0.attn.rotary": [2]}), None, ["model.safetensors", "h.0.attn.rotary"]),
        ("missing-tensor", cfg, tensors(drop=["h.0.mlp.c_fc.weight"]), None, ["h.0.mlp.c_fc.weight", "missing"]),
        ("wrong-shape", cfg, tensors(reshape=["h.0.mlp.c_proj.weight"]), None, ["h.0.mlp.c_proj.weight", "shape"]),
        ("qkv-shape", cfg, tensors(reshape=["h.0.attn.c_attn.bias"], extra={"h.0.attn.c_attn.weight": [D, 2 * D]}),
         None, ["h.0.attn.c_attn.weight", "Conv1D"]),
        ("heads-indivisible", dict(cfg, n_head=3), tensors(), None, ["config.json", "n_head"]),
        ("heads-zero", dict(cfg, n_head=0), tensors(), None, ["config.json", "n_head", "out of range"]),
        ("layers-float", dict(cfg, n_layer=1.0), tensors(), None, ["config.json", "n_layer"]),
        ("layers-huge", dict(cfg, n_layer=10 ** 12), tensors(), None, ["config.json", "n_layer"]),
        ("vocab-missing", {k: v for k, v in cfg.items() if k != "vocab_size"}, tensors(), None, ["vocab_size"]),
        # A config claiming a 30-billion-parameter model over these tiny tensors: one line, no allocation.
        ("config-claims-huge-model", dict(cfg, vocab_size=1 << 20, n_positions=1 << 16, n_layer=256, n_embd=8192,
                                          n_head=64, n_inner=65536),
         tensors(), None, ["model.safetensors"]),
        ("model-type-bert", dict(cfg, model_type="bert"), tensors(), None, ["model_type"]),
        ("config-not-json", None, tensors(), "{\"vocab_size\": ", ["config.json", "JSON"]),
        ("config-array", None, tensors(), "[1, 2]", ["config.json", "object"]),
        ("config-depth-bomb", None, tensors(), "[" * 100000, ["config.json", "deeper"]),
        ("no-weights", cfg, None, None, ["model.safetensors"]),
    ]
    cases = []
    for what, config, shapes, text, needles in rows:
        write_folder("g_" + what, config, shapes, text)
        cases.append(Case("gpt2-" + what, ["attention", "g_" + what, "--ids", "1,2", "--out", "g_out"], needles))
    ok = ["attention", "g_ok", "--out", "g_out", "--ids"]
    cases += [
        Case("attention-ids-junk", ok + ["1,x"], ["--ids", "'x'"]),
        Case("attention-ids-negative", ok + ["-3"], ["--ids"]),
        Case("attention-ids-huge", ok + ["99999999999"], ["--ids"]),
        Case("attention-ids-outside-vocab", ok + ["1,11"], ["--ids", "vocabulary"]),
        Case("attention-ids-too-long", ok + ["1,2,3,4,5,6,7"], ["--ids", "6 positions"]),
        Case("attention-ids-empty", ok + [","], ["--ids"]),
        Case("attention-ids-and-data", ok + ["1,2", "--data", GMM], ["--ids", "--data"]),
        Case("attention-ids-with-train", ["attention", "--train", "--arch",
                                          "transformer:tokens=11,seq=6,d=8,heads=2,layers=1,ff=8,attn=softmax,causal",
                                          "--ids", "1,2", "--out", "g_out"], ["--ids"]),
        Case("align-gpt2-with-mlp", ["align", "g_ok", "B.safetensors", "--data", GMM, "--out", "g.safetensors"],
             ["g_ok"]),
    ]
    return cases


def main():
    argv = sys.argv[1:]
    strict = "--strict" in argv
    argv = [a for a in argv if a != "--strict"]
    known_file = None
    if "--known-failures" in argv:
        i = argv.index("--known-failures")
        known_file = argv[i + 1]
        del argv[i:i + 2]
    jobs = os.cpu_count() or 1
    if "--jobs" in argv:
        i = argv.index("--jobs")
        jobs = max(1, int(argv[i + 1]))
        del argv[i:i + 2]
    only = None
    if "-k" in argv:
        i = argv.index("-k")
        only = argv[i + 1]
        del argv[i:i + 2]
    if len(argv) != 2:
        sys.exit(__doc__)
    exe, work = os.path.abspath(argv[0]), os.path.abspath(argv[1])
    if os.path.isdir(work):
        for root, dirs, _ in os.walk(work):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        shutil.rmtree(work)
    os.makedirs(work)
    os.chmod(work, 0o755)
    known = load_known_failures(known_file)

    a_bytes = make_models(exe, work)
    cases = (safetensors_cases(work, a_bytes) + idx_cases(work) + spec_cases(work) + flag_cases(work) +
             output_cases(work) + study_folder_cases(exe, work) + landscape_folder_cases(exe, work) +
             analysis_folder_cases(exe, work) + orthogonal_folder_cases(exe, work) +
             attention_folder_cases(exe, work) +
             checkpoint_folder_cases(work))
    for root, dirs, files in os.walk(work):  # the read-only case may run as nobody
        for name in dirs + files:
            p = os.path.join(root, name)
            os.chmod(p, os.stat(p).st_mode | 0o044 | (0o011 if os.path.isdir(p) else 0))
    names = [c.name for c in cases]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        sys.exit("duplicate case names: %s" % sorted(dupes))
    unknown = set(known) - set(names)
    if unknown:
        sys.exit("known-failures names cases that do not exist: %s" % sorted(unknown))
    if only:
        cases = [c for c in cases if only in c.name]
    # A build without Qt (the sanitizer build: RIDGELINE_GUI=OFF) has no `ridgeline figure`:
    # its cases are skipped there, visibly; every other build runs them.
    probe = subprocess.run([exe, "figure", work, "--view", "study", "--out",
                            os.path.join(work, "probe.pdf")], capture_output=True, text=True)
    if "this build has no figures" in probe.stderr:
        figure_cases = [c for c in cases if c.args and c.args[0] == "figure"]
        cases = [c for c in cases if not (c.args and c.args[0] == "figure")]
        print("SKIP  %d `ridgeline figure` cases: this build has no figures (RIDGELINE_GUI=OFF)" %
              len(figure_cases))

    failed, xfail, xpass = [], [], []
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda c: check(exe, work, c), cases))
    for case, (problem, seconds) in zip(cases, results):
        if case.name in known:
            if problem:
                xfail.append(case.name)
                print("XFAIL %-48s %s  [%s]" % (case.name, problem.split("\n")[0], known[case.name]))
            else:
                xpass.append(case.name)
                print("XPASS %-48s now passes: remove it from the known failures" % case.name)
        elif problem:
            failed.append(case.name)
            print("FAIL  %-48s %s" % (case.name, problem))
        elif seconds > 5:
            print("ok    %-48s (slow: %.1f s)" % (case.name, seconds))
    total = time.monotonic() - t0
    print("\n%d cases in %.1f s (%d at a time): %d passed, %d failed, %d known failures (XFAIL), %d XPASS" %
          (len(cases), total, jobs, len(cases) - len(failed) - len(xfail) - len(xpass) + len(xpass) * 0,
           len(failed), len(xfail), len(xpass)))
    if failed or (strict and (xfail or xpass)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
