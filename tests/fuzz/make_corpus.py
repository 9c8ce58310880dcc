#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora under tests/fuzz/corpus/<harness>/: small valid files of
every shape each reader accepts, and near-valid ones (one field wrong) that reach its error
paths. The files are committed; rerun this script (python3, standard library only) after
changing it. The experiment spec seeds also take resources/experiments/*.json."""
import gzip
import json
import pathlib
import re
import shutil
import struct

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CORPUS = HERE / "corpus"


def put(harness, name, data):
    d = CORPUS / harness
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


# ---- safetensors: 8-byte little-endian header length, JSON header, data ----

def st(tensors, metadata=None, pad=True):
    """tensors: list of (name, dtype, shape, raw bytes)."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def f32(*v):
    return struct.pack("<%df" % len(v), *v)


def ramp(n, scale=0.125):
    return f32(*[(i - n / 2) * scale for i in range(n)])


def lin(name, out, inp, dtype="F32"):
    n = out * inp
    if dtype == "F32":
        w, b = ramp(n), ramp(out)
    elif dtype == "F64":
        w, b = struct.pack("<%dd" % n, *[i * 0.5 for i in range(n)]), struct.pack("<%dd" % out, *range(out))
    else:  # F16 / BF16: small halves
        w, b = struct.pack("<%dH" % n, *[0x3C00 + i for i in range(n)]), struct.pack("<%dH" % out, *[0x3800] * out)
    return [(name + ".weight", dtype, [out, inp], w), (name + ".bias", dtype, [out], b)]


def norm(name, n):
    return [(name + ".weight", "F32", [n], f32(*[1.0] * n)), (name + ".bias", "F32", [n], f32(*[0.0] * n))]


mlps = {
    "sequential": lin("0", 3, 4) + lin("2", 2, 3),
    "scrambled": lin("fc2", 3, 4) + lin("fc1", 5, 3),
    "square_natural": lin("layers.10", 3, 3) + lin("layers.2", 3, 3) + lin("layers.1", 3, 3),
    "backoff": lin("4", 2, 8) + lin("2", 8, 8) + lin("0", 8, 4),
    "cycle": lin("b", 3, 4) + lin("a", 4, 3),
    "dtypes": lin("fc1", 2, 4, "F16") + lin("fc2", 3, 2, "BF16") + lin("fc3", 2, 3, "F64"),
    "layernorm": lin("0", 4, 3) + norm("1", 4) + lin("3", 4, 4) + norm("4", 4) + lin("6", 2, 4),
    "unchained": lin("a", 3, 4) + lin("b", 5, 6),
    "bare": [("weight", "F32", [2, 3], ramp(6)), ("bias", "F32", [2], ramp(2))],
}
for name, ts in mlps.items():
    put("fuzz_safetensors", name + ".safetensors", st(ts, {"format": "pt"}))
    put("fuzz_model_load", name + ".safetensors", st(ts, {"format": "pt"}))

ridgeline_mlp = lin("fc0", 3, 4) + norm("ln0", 3) + lin("fc1", 2, 3)
meta = {"format": "pt", "ridgeline.arch": "mlp:4,3,2+ln+gelu", "ridgeline.layers": "fc0,fc1",
        "ridgeline.norms": "ln0", "ridgeline.activation": "gelu", "ridgeline.layernorm": "1"}
put("fuzz_model_load", "ridgeline_mlp.safetensors", st(ridgeline_mlp, meta))
put("fuzz_model_load", "ridgeline_mlp_plain.safetensors",
    st(lin("fc0", 3, 4) + lin("fc1", 2, 3), {"ridgeline.arch": "mlp:4,3,2", "ridgeline.layers": "fc0,fc1"}))
put("fuzz_model_load", "ridgeline_mlp_badarch.safetensors",
    st(lin("fc0", 3, 4) + lin("fc1", 2, 3), {"ridgeline.arch": "mlp:4,3,2+ln", "ridgeline.layers": "fc0,fc1"}))
quad = [("theta", "F32", [4], f32(0.5, -1.0, 2.0, 0.0))]
put("fuzz_model_load", "quadratic.safetensors",
    st(quad, {"ridgeline.kind": "quadratic", "ridgeline.arch": "quadratic:dim=4,seed=3"}))
put("fuzz_model_load", "quadratic_indefinite.safetensors",
    st(quad, {"ridgeline.kind": "quadratic", "ridgeline.arch": "quadratic:dim=4,seed=1,c=0.5,indefinite"}))
put("fuzz_model_load", "quadratic_kind_mismatch.safetensors",
    st(quad, {"ridgeline.kind": "quadratic", "ridgeline.arch": "mlp:4,2"}))

# Near-valid safetensors: one thing wrong each.
good = st(lin("0", 2, 2))
put("fuzz_safetensors", "truncated.safetensors", good[:-3])
put("fuzz_safetensors", "empty_header.safetensors", st([]))
put("fuzz_safetensors", "special_f16.safetensors",
    st([("x", "F16", [4], struct.pack("<4H", 0x7C00, 0xFC00, 0x7E00, 0x83FF))]))
put("fuzz_safetensors", "f64_overflow.safetensors", st([("x", "F64", [2], struct.pack("<2d", 1.0, 1e300))]))
put("fuzz_safetensors", "nan.safetensors", st([("x", "F32", [2], f32(1.0, float("nan")))]))
hole = b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}'
put("fuzz_safetensors", "hole.safetensors", struct.pack("<Q", len(hole)) + hole + f32(1, 2, 3))
dup = b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'
put("fuzz_safetensors", "duplicate.safetensors", struct.pack("<Q", len(dup)) + dup + f32(1, 2))
overlap = b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}'
put("fuzz_safetensors", "overlap.safetensors", struct.pack("<Q", len(overlap)) + overlap + f32(1, 2, 3, 4))

# ---- IDX: big-endian magic 0x0000080N (unsigned bytes, N dims), N big-endian uint32 dims ----

def idx(dims, data):
    return struct.pack(">I", 0x800 + len(dims)) + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


def pair(images, labels):
    """fuzz_idx input: 2-byte little-endian length of the image file, then both files."""
    return struct.pack("<H", len(images)) + images + labels


img = idx([3, 2, 2], range(12))
lab = idx([3], [0, 1, 2])
put("fuzz_idx", "split.bin", pair(img, lab))
put("fuzz_idx", "split_gz.bin", pair(gzip.compress(img, mtime=0), gzip.compress(lab, mtime=0)))
put("fuzz_idx", "images.idx", img)
put("fuzz_idx", "labels.idx.gz", gzip.compress(lab, mtime=0))
put("fuzz_idx", "two_members.gz", gzip.compress(idx([4], [1, 2]), mtime=0) + gzip.compress(bytes([3, 4]), mtime=0))
put("fuzz_idx", "zero_images.bin", pair(idx([0, 0xFFFFFFFF, 0xFFFFFFFF], []), idx([0], [])))
put("fuzz_idx", "count_mismatch.bin", pair(img, idx([2], [0, 1])))
put("fuzz_idx", "huge.idx", idx([0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], []))
put("fuzz_idx", "trailing.idx", idx([2], [1, 2, 3]))

# ---- npy: \x93NUMPY, version, header length, dict repr padded to 64, data ----

def npy(descr, shape, data, major=1, fortran=False):
    shp = "(" + "".join("%d, " % d for d in shape).rstrip(" ")
    shp = shp[:-1] + ")" if len(shape) > 1 else shp + ")"
    d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shp)
    lenlen = 2 if major == 1 else 4
    total = 6 + 2 + lenlen + len(d) + 1
    d += " " * ((64 - total % 64) % 64) + "\n"
    n = struct.pack("<H" if major == 1 else "<I", len(d))
    return b"\x93NUMPY" + bytes([major, 0]) + n + d.encode() + data


put("fuzz_npy", "f4_2x3.npy", npy("<f4", [2, 3], f32(*range(6))))
put("fuzz_npy", "f8_vec.npy", npy("<f8", [3], struct.pack("<3d", 0.1, -2.0, 1e300)))
put("fuzz_npy", "scalar.npy", npy("<f4", [], f32(4.0)))
put("fuzz_npy", "u1_v2.npy", npy("|u1", [4], bytes([0, 1, 127, 255]), major=2))
put("fuzz_npy", "i8.npy", npy("<i8", [2], struct.pack("<2q", -5, 1 << 40)))
put("fuzz_npy", "i4_empty.npy", npy("<i4", [0, 3], b""))
put("fuzz_npy", "fortran.npy", npy("<f4", [2], f32(1, 2), fortran=True))
put("fuzz_npy", "truncated.npy", npy("<f4", [2, 3], f32(*range(5))))

# ---- experiment specs: the bundled examples and small variants ----

(CORPUS / "fuzz_spec").mkdir(parents=True, exist_ok=True)
for f in sorted((ROOT / "resources" / "experiments").glob("*.json")):
    shutil.copyfile(f, CORPUS / "fuzz_spec" / f.name)
specs = {
    "minimal_gmm": {"name": "m", "data": "gmm:64,32,4,3,1", "model": {"arch": "mlp:4,8,3"},
                    "train": {"epochs": 1}, "models": [{"name": "seed0", "seed": 0}], "steps": []},
    "align_merge": {"name": "am", "data": "gmm:64,32,4,3,1", "model": {"arch": "mlp:4,8,8,3", "activation": "gelu",
                    "layernorm": True}, "train": {"optimizer": "adam", "lr": 0.01, "epochs": 2},
                    "models": [{"name": "a", "seed": 0}, {"name": "b", "seed": 1}, {"name": "c", "seed": 2}],
                    "steps": [{"type": "align", "a": "a", "b": "b", "method": "wm"},
                              {"type": "interpolate", "a": "a", "b": "b@wm", "points": 5, "repair": True},
                              {"type": "merge", "models": ["a", "b", "c"]}]},
    "quadratic_small": {"name": "q", "model": {"kind": "quadratic", "arch": "quadratic:dim=2,seed=0"},
                        "models": [{"name": "s0", "seed": 0}, {"name": "s1", "seed": 1}],
                        "steps": [{"type": "interpolate", "a": "s0", "b": "s1", "points": 3}]},
    "bad_lr": {"name": "x", "train": {"lr": -1}, "models": [{"name": "s", "seed": 0}], "steps": []},
}
for name, spec in specs.items():
    put("fuzz_spec", name + ".json", json.dumps(spec, indent=1))

# ---- a study folder's records: study.json and a cell's results/barriers.json ----
# real-study.json and real-barriers.json are files of a real run, copied by hand (refresh:
# `ridgeline run resources/studies/gmm-width-study.json --out DIR`, then copy DIR/study.json
# and DIR/cells/width=16,pair=1/results/barriers.json); the variants below derive from them,
# one thing wrong each (the cases of tests/app/malformed_inputs.py's study rows).
study_dir = CORPUS / "fuzz_study"
record = json.loads((study_dir / "real-study.json").read_text())
rows = json.loads((study_dir / "real-barriers.json").read_text())


def study_variant(name, edit):
    r = json.loads(json.dumps(record))
    edit(r)
    put("fuzz_study", name + ".json", json.dumps(r, indent=1))


def barriers_variant(name, edit):
    r = json.loads(json.dumps(rows))
    edit(r)
    put("fuzz_study", name + ".json", json.dumps(r, indent=1))


text = (study_dir / "real-study.json").read_text()
put("fuzz_study", "study_truncated.json", text[: len(text) // 2])
put("fuzz_study", "study_array.json", "[" + text + "]")
study_variant("study_no_spec", lambda r: r.pop("spec"))
study_variant("study_spec_string", lambda r: r.update(spec="gmm-width-study"))
study_variant("study_status_unknown", lambda r: r.update(status="done"))
study_variant("study_status_number", lambda r: r.update(status=3))
study_variant("study_no_cells", lambda r: r.pop("cells"))
study_variant("study_cell_no_name", lambda r: r["cells"][1].pop("name"))
study_variant("study_cell_not_in_grid", lambda r: r["cells"][0].update(name="width=8,pair=0"))
study_variant("study_cell_twice", lambda r: r["cells"].append(r["cells"][0]))
study_variant("study_cell_status_unknown", lambda r: r["cells"][2].update(status="ok"))
study_variant("study_cell_dir_traversal", lambda r: r["cells"][0].update(dir="../../etc"))
study_variant("study_seconds_negative", lambda r: r.update(seconds=-1))
study_variant("study_device_number", lambda r: r.update(device=0))
study_variant("study_width_zero", lambda r: r["spec"]["sweep"].update(width=[0, 4]))
study_variant("study_fewer_cells", lambda r: r.update(cells=r["cells"][:2]))
put("fuzz_study", "study_deep.json", '{"spec": ' + "[" * 100 + "]" * 100 + "}")

text = (study_dir / "real-barriers.json").read_text()
put("fuzz_study", "barriers_truncated.json", text[: len(text) // 2])
put("fuzz_study", "barriers_object.json", json.dumps({"rows": rows}))
put("fuzz_study", "barriers_empty.json", "[]")
barriers_variant("barriers_no_split", lambda r: r[0].pop("split"))
barriers_variant("barriers_split_val", lambda r: r[0].update(split="val"))
barriers_variant("barriers_step_comma", lambda r: r[0].update(step="naive,wm"))
barriers_variant("barriers_text_barrier", lambda r: r[0].update(loss_lin="0.3"))
barriers_variant("barriers_error_percent", lambda r: r[0].update(error_lin=58.49))
barriers_variant("barriers_null", lambda r: r[0].update(loss_lin=None, error_mid=None))
barriers_variant("barriers_twice", lambda r: r.append(r[0]))
put("fuzz_study", "barriers_overflow.json", re.sub(r'"loss_lin": [-0-9.e]+', '"loss_lin": 1e999', text, count=1))


# ---- a landscape's results: <stem>.json, then its .npy grids (xs, ys, loss, error), each
# after a line "--" (fuzz_landscape.cpp) ----
# real-plane.json and real-plane.{xs,ys,loss,error}.npy are files of a real run, copied by hand
# (refresh: `ridgeline run resources/experiments/gmm-landscape.json --out DIR`, then copy
# DIR/results/plane.json and plane.*.npy). Near-valid variants: one thing wrong each (the cases
# of tests/app/malformed_inputs.py's landscape rows).
land_dir = CORPUS / "fuzz_landscape"
land = json.loads((land_dir / "real-plane.json").read_text())
land_npy = [(land_dir / ("real-plane.%s.npy" % k)).read_bytes() for k in ("xs", "ys", "loss", "error")]


def land_bytes(text, arrays=None):
    return text.encode() + b"".join(b"\n--\n" + a for a in (land_npy if arrays is None else arrays))


def land_variant(name, edit, arrays=None):
    r = json.loads(json.dumps(land))
    edit(r)
    put("fuzz_landscape", name + ".bin", land_bytes(json.dumps(r, indent=1), arrays))


text = (land_dir / "real-plane.json").read_text()
put("fuzz_landscape", "plane.bin", land_bytes(text))
put("fuzz_landscape", "plane_truncated.bin", land_bytes(text[: len(text) // 2]))
put("fuzz_landscape", "plane_no_arrays.bin", text)
put("fuzz_landscape", "plane_array.bin", land_bytes("[" + text + "]"))
land_variant("kind_unknown", lambda r: r.update(kind="line"))
land_variant("kind_random_no_seed", lambda r: r.update(kind="random"))
land_variant("random", lambda r: r.update(kind="random", seed=3, keep_1d=False, models=["seed0"], linear=None,
                                          **{"pass": None}))
HESSIAN = {"pair": "top_bottom", "eigenvalues": [0.366, -0.0063], "residuals": [1.6e-05, 0.00023],
           "converged": True, "batch": "train, 500 samples", "seed": 0}
land_variant("hessian", lambda r: r.update(kind="hessian", hessian=dict(HESSIAN), models=["seed0"], linear=None,
                                           **{"pass": None}))
land_variant("hessian_no_record", lambda r: r.update(kind="hessian", models=["seed0"]))
land_variant("hessian_pair_top3", lambda r: r.update(kind="hessian", hessian=dict(HESSIAN, pair="top3")))
land_variant("hessian_one_eigenvalue", lambda r: r.update(kind="hessian", hessian=dict(HESSIAN, eigenvalues=[1.0])))
land_variant("hessian_seed_negative", lambda r: r.update(kind="hessian", hessian=dict(HESSIAN, seed=-1)))
land_variant("models_string", lambda r: r.update(models="seed0"))
land_variant("norms_text", lambda r: r["norms"].update(x="10"))
land_variant("coordinate_no_name", lambda r: r["coordinates"][0].pop("name"))
land_variant("subset_huge", lambda r: r.update(subset=1 << 40))
land_variant("subset_2_31", lambda r: r.update(subset=1 << 31))
land_variant("connectivity_6", lambda r: r.update(connectivity=6))
land_variant("files_traversal", lambda r: r["files"].update(loss="../plane.loss.npy"))
land_variant("files_dotdot", lambda r: r["files"].update(xs=".."))
land_variant("files_empty", lambda r: r["files"].update(ys=""))
land_variant("pass_cell_outside", lambda r: r["pass"]["cells"][0].__setitem__(0, 99))
land_variant("pass_highest_outside", lambda r: r["pass"].update(highest=[-1, 0]))
land_variant("pass_short_loss", lambda r: r["pass"]["loss"].pop())
land_variant("pass_cell_triple", lambda r: r["pass"]["cells"][0].append(1))
land_variant("linear_null", lambda r: r.update(linear=None))
land_variant("persistence_saddle_null", lambda r: r["persistence"][-1].update(saddle=None))
land_variant("persistence_one_finite", lambda r: r.update(persistence=r["persistence"][-1:]))
land_variant("persistence_minimum_outside", lambda r: r["persistence"][0].update(minimum=[21, 0]))
land_variant("persistence_cell_huge", lambda r: r["persistence"][0].update(minimum=[1 << 33, 0]))
swapped = [land_npy[1], land_npy[0], land_npy[2], land_npy[3]]
land_variant("axes_swapped", lambda r: None, swapped)
land_variant("grid_transposed", lambda r: None, [land_npy[0], land_npy[1], land_npy[3][:-8], land_npy[3]])
land_variant("grid_missing_error", lambda r: None, land_npy[:3])
xs_desc = land_npy[0][: len(land_npy[0]) - 21 * 8] + b"".join(
    struct.pack("<d", 1.5 - 0.1 * i) for i in range(21))
land_variant("axis_decreasing", lambda r: None, [xs_desc] + land_npy[1:])
xs_nan = land_npy[0][: len(land_npy[0]) - 8] + struct.pack("<d", float("nan"))
land_variant("axis_nan", lambda r: None, [xs_nan] + land_npy[1:])


# ---- a spectra result: results/<id>.json (fuzz_spectra.cpp), small and hand-made, with every
# part its reader knows: models, alignments and over_training ----

def sp_layer(name, rows, cols, sv):
    return {"name": name, "shape": [rows, cols], "frobenius_sq": sum(x * x for x in sv),
            "spectral_norm": sv[0], "stable_rank": sum(x * x for x in sv) / sv[0] ** 2,
            "entropy_rank": 1.8, "numerical_rank": len(sv),
            "power_law": {"ok": False, "failure": "too few eigenvalues", "n": len(sv)},
            "mp_sigma2": 0.5, "mp_edge": 2.9, "mp_spikes": 0, "singular_values": sv}


def sp_alignment(a, b):
    return {"a": a, "b": b, "top_k": 2, "gammas": [0, 0.3], "r": [0.5, None],
            "inner_product": 1.25, "inner_top_k": 1.0,
            "layers": [{"name": "fc1.weight", "shape": [2, 3], "k": 2, "inner_product": 1.25,
                        "inner_top_k": 1.0, "top_k_share": 0.8, "r_sum": [1.0, 0.0],
                        "r_count": [2, 0], "u_overlap": [1, 0, 0, 1], "v_overlap": [0.5, 0.5, 0.5, 0.5]}]}


def sp_result():
    models = [{"model": m, "layers": [sp_layer("fc1.weight", 2, 3, [2.0, 0.5])]}
              for m in ("seed0", "seed1")]
    return {"aligned_to": "seed0", "top_k": 2, "gamma_rule": "s >= gamma * s_max per layer",
            "seconds": 0.01, "models": models, "alignments": [sp_alignment("seed0", "seed1")],
            "over_training_align": "wm",
            "over_training": [{"epoch": 1, "models": models,
                               "alignments": [sp_alignment("seed0@epoch1", "seed1@epoch1")]}]}


def sp_variant(name, edit):
    r = sp_result()
    edit(r)
    put("fuzz_spectra", name + ".json", json.dumps(r, indent=1))


sp_variant("result", lambda r: None)
sp_variant("no_over_training", lambda r: (r.pop("over_training"), r.pop("over_training_align")))
sp_variant("sv_ascending", lambda r: r["models"][0]["layers"][0].update(singular_values=[0.5, 2.0]))
sp_variant("sv_count", lambda r: r["models"][0]["layers"][0].update(singular_values=[2.0]))
sp_variant("k_too_big", lambda r: r["alignments"][0]["layers"][0].update(k=3))
sp_variant("r_short", lambda r: r["alignments"][0].update(r=[0.5]))
sp_variant("overlap_above_one", lambda r: r["alignments"][0]["layers"][0].update(u_overlap=[2, 0, 0, 1]))
sp_variant("epoch_zero", lambda r: r["over_training"][0].update(epoch=0))
put("fuzz_spectra", "truncated.json", json.dumps(sp_result())[:200])
