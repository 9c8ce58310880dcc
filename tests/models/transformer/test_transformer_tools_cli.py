#!/usr/bin/env python3
"""Transformers through the command line's tools (docs/USER_GUIDE.md, "Transformers through the
tools" and "Real checkpoints"): two transformers trained by `ridgeline train` are aligned by
weight matching and by activation matching (the function check passes, the distance shrinks,
the permutations are the residual stream, whole heads and MLP units), the aligned model
interpolates (also with REPAIR); STE aligns them; a GPT-2 checkpoint folder written here with numpy (Hugging Face's Conv1D layout)
gives, through `ridgeline attention --ids`, the first layer's attention maps of a numpy float64
forward; bad ids and unsupported checkpoints are one line and exit 2.

    test_transformer_tools_cli.py RIDGELINE WORK_DIR
"""
import ast
import json
import os
import shutil
import struct
import subprocess
import sys

try:
    import numpy as np
except ImportError:  # Debian's python3-numpy (scripts/bootstrap.sh installs it)
    print("skipped: this python3 has no numpy")
    sys.exit(77)

EXE, WORK = os.path.abspath(sys.argv[1]), sys.argv[2]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def run(*args, expect=0):
    r = subprocess.run([EXE, *[str(a) for a in args]], cwd=WORK, capture_output=True, text=True,
                       timeout=600)
    if r.returncode != expect:
        sys.exit("ridgeline %s: exit %d (wanted %d)\n%s" % (" ".join(map(str, args)), r.returncode,
                                                          expect, r.stderr))
    return r


def one_line_error(args, needle):
    r = run(*args, expect=2)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    check(len(lines) == 1 and needle in lines[0],
          "%s: wanted one line with %r, got %r" % (" ".join(map(str, args)), needle, r.stderr))


def read_npy(path):
    data = open(path, "rb").read()
    (hlen,) = struct.unpack("<H", data[8:10])
    header = ast.literal_eval(data[10:10 + hlen].decode("latin1"))
    return np.frombuffer(data[10 + hlen:], dtype=np.dtype(header["descr"])).reshape(header["shape"])


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, arr in tensors.items():
        b = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
TASK = "task:mqar,vocab=32,length=16,pairs=4,train=200,test=40,seed=3"
ARCH = "transformer:tokens=32,seq=16,d=16,heads=2,layers=2,ff=24,attn=softmax,causal"

# Two transformers from different seeds, aligned by weight matching.
for seed in (0, 1):
    run("train", "--arch", ARCH, "--data", TASK, "--epochs", 1, "--batch", 32, "--seed", seed,
        "--out", "m%d.safetensors" % seed, "--threads", 1, "--quiet")
r = run("align", "m0.safetensors", "m1.safetensors", "--method", "wm", "--data", TASK,
        "--out", "m1-wm.safetensors", "--threads", 1, "--json")
j = json.loads(r.stdout)
names = [l["name"] for l in j["layers"]]
check(names == ["residual", "block0.heads", "block0.mlp", "block1.heads", "block1.mlp"],
      "permutation names: %r" % names)
check(j["l2_after"] < j["l2_before"], "weight matching shortens the distance: %r" % j)
fc = j.get("function_check", {})
check(fc.get("passed") is True and fc["max_abs_logit"] > 0.01 and
      fc["max_abs_logit_diff"] <= 1e-5 + 1e-4 * fc["max_abs_logit"], "function check: %r" % fc)
check(os.path.exists(os.path.join(WORK, "m1-wm.safetensors")), "aligned model written")
r = run("interpolate", "m0.safetensors", "m1-wm.safetensors", "--data", TASK, "--points", 3,
        "--threads", 1, "--json")
p = json.loads(r.stdout)
check(len(p["alpha"]) == 3, "the aligned path has 3 points")
# REPAIR on the aligned path: each block's MLP rescaled; the ends are the plain path's.
r = run("interpolate", "m0.safetensors", "m1-wm.safetensors", "--data", TASK, "--points", 3, "--repair",
        "--threads", 1, "--json")
q = json.loads(r.stdout)
check(len(q["alpha"]) == 3 and abs(q["test"]["loss"][0] - p["test"]["loss"][0]) < 1e-6 and
      abs(q["test"]["loss"][2] - p["test"]["loss"][2]) < 1e-6, "REPAIRed transformer path: %r" % q)
r = run("align", "m0.safetensors", "m1.safetensors", "--method", "am", "--data", TASK,
        "--out", "m1-am.safetensors", "--threads", 1, "--json")
j = json.loads(r.stdout)
check(j["method"] == "am" and j["function_check"]["passed"] is True, "activation matching: %r" % j)
check([l["name"] for l in j["layers"]] == names, "am permutation names")
# Weight matching, then the orthogonal map of the residual stream.
r = run("align", "m0.safetensors", "m1.safetensors", "--method", "wm", "--orthogonal", "--data", TASK,
        "--out", "m1-orth.safetensors", "--out-a", "m0-canonical.safetensors", "--threads", 1, "--json")
o = json.loads(r.stdout)["orthogonal"]
check(o["stream_mismatch_after"] <= o["stream_mismatch_before"] and
      o["function_check_max_abs_logit_diff"] < 1e-4, "orthogonal map: %r" % o)
r = run("interpolate", "m0-canonical.safetensors", "m1-orth.safetensors", "--data", TASK, "--points", 3,
        "--threads", 1, "--json")
check(len(json.loads(r.stdout)["alpha"]) == 3, "the orthogonally aligned path has 3 points")
# Then learned matching: the straight-through estimator over the permutations and the stream's
# map; the result still computes B's function, its midpoint training loss (re-measured here
# by interpolating) is the one reported and never above the closed-form map's.
r = run("align", "m0.safetensors", "m1.safetensors", "--method", "wm", "--orthogonal", "--learn",
        "--epochs", 2, "--batch", 64, "--data", TASK, "--out", "m1-learned.safetensors",
        "--out-a", "m0-canonical2.safetensors", "--threads", 1, "--json")
lj = json.loads(r.stdout)
ln = lj.get("learned", {})
check(len(ln.get("midpoint_train_loss_per_epoch", [])) == 3 and
      ln["midpoint_train_loss_after"] <= ln["midpoint_train_loss_before"] and
      ln["function_check_max_abs_logit_diff"] < 1e-4 and ln["lambda"] == [0.4, 0.6],
      "learned matching: %r" % ln)
r = run("interpolate", "m0-canonical2.safetensors", "m1-learned.safetensors", "--data", TASK,
        "--points", 3, "--threads", 1, "--json")
mid = json.loads(r.stdout)["train"]["loss"][1]
check(abs(mid - ln["midpoint_train_loss_after"]) < 1e-4 * max(1.0, mid),
      "learned matching's reported midpoint loss %r against the interpolated %r" %
      (ln["midpoint_train_loss_after"], mid))
one_line_error(["align", "m0.safetensors", "m1.safetensors", "--learn", "--data", TASK,
                "--out", "x.safetensors"], "--learn")
one_line_error(["align", "m0.safetensors", "m1.safetensors", "--orthogonal", "--data", TASK,
                "--out", "x.safetensors"], "--out-a")
one_line_error(["align", "m0.safetensors", "m1.safetensors", "--out-a", "y.safetensors", "--data", TASK,
                "--out", "x.safetensors"], "--out-a: only with --orthogonal")
# Weight matching, then permutations within heads: the function check passes, the distance
# does not grow, every head's value/output dimensions are matched (softmax: query/key too).
r = run("align", "m0.safetensors", "m1.safetensors", "--method", "wm", "--data", TASK,
        "--out", "m1-wm-plain.safetensors", "--threads", 1, "--json")
plain = json.loads(r.stdout)
r = run("align", "m0.safetensors", "m1.safetensors", "--method", "wm", "--within-heads", "--data", TASK,
        "--out", "m1-heads.safetensors", "--threads", 1, "--json")
h = json.loads(r.stdout)
w = h.get("within_heads", {})
check(h["function_check"]["passed"] is True and h["l2_after"] <= plain["l2_after"] + 1e-9 and
      w.get("vo_gain_after", -1) >= w.get("vo_gain_before", 0) and w.get("qk_skipped") == "" and
      len(w.get("qk", [])) == w.get("heads") and h["objective_after"] >= plain["objective_after"] - 1e-9,
      "within heads: %r" % {k: h.get(k) for k in ("l2_after", "objective_after", "within_heads")})
r = run("interpolate", "m0.safetensors", "m1-heads.safetensors", "--data", TASK, "--points", 3,
        "--threads", 1, "--json")
check(len(json.loads(r.stdout)["alpha"]) == 3, "the path to the within-heads alignment has 3 points")
# A model whose output is tied to the token embedding cannot fold its final gain: refused.
for seed in (0, 1):
    run("train", "--arch", ARCH + ",tied", "--data", TASK, "--epochs", 1, "--seed", seed,
        "--out", "t%d.safetensors" % seed, "--threads", 1, "--quiet")
one_line_error(["align", "t0.safetensors", "t1.safetensors", "--orthogonal", "--data", TASK,
                "--out", "x.safetensors", "--out-a", "y.safetensors"], "tied")
r = run("merge", "m0.safetensors", "m1.safetensors", "--data", TASK, "--out", "merged.safetensors",
        "--threads", 1, "--json")
j = json.loads(r.stdout)
check(max(j["function_check_max_abs_logit_diff"]) < 1e-4 and "loss" in j["merged_test"],
      "MergeMany of two transformers: %r" % j)
# The straight-through estimator trains the midpoint through the transformer's own compute.
r = run("align", "m0.safetensors", "m1.safetensors", "--method", "ste", "--data", TASK, "--epochs", 2,
        "--out", "m1-ste.safetensors", "--threads", 1, "--json")
j = json.loads(r.stdout)
check(j["method"] == "ste" and j["function_check"]["passed"] is True and
      [l["name"] for l in j["layers"]] == names, "STE on transformers: %r" % j)

# A tiny GPT-2 in Hugging Face's layout (Conv1D weights stored [in, out]).
rng = np.random.default_rng(7)
V, P, D, H, L = 11, 6, 8, 2, 1
t = {"wte.weight": rng.normal(0, 0.5, (V, D)), "wpe.weight": rng.normal(0, 0.3, (P, D))}
for l in range(L):
    h = "h.%d." % l
    t[h + "ln_1.weight"] = 1 + rng.normal(0, 0.2, D)
    t[h + "ln_1.bias"] = rng.normal(0, 0.1, D)
    t[h + "attn.c_attn.weight"] = rng.normal(0, 0.4, (D, 3 * D))
    t[h + "attn.c_attn.bias"] = rng.normal(0, 0.1, 3 * D)
    t[h + "attn.c_proj.weight"] = rng.normal(0, 0.3, (D, D))
    t[h + "attn.c_proj.bias"] = rng.normal(0, 0.1, D)
    t[h + "ln_2.weight"] = 1 + rng.normal(0, 0.2, D)
    t[h + "ln_2.bias"] = rng.normal(0, 0.1, D)
    t[h + "mlp.c_fc.weight"] = rng.normal(0, 0.3, (D, 4 * D))
    t[h + "mlp.c_fc.bias"] = rng.normal(0, 0.1, 4 * D)
    t[h + "mlp.c_proj.weight"] = rng.normal(0, 0.2, (4 * D, D))
    t[h + "mlp.c_proj.bias"] = rng.normal(0, 0.1, D)
    t[h + "attn.bias"] = np.tril(np.ones((P, P)))[None, None]
t["ln_f.weight"] = 1 + rng.normal(0, 0.2, D)
t["ln_f.bias"] = rng.normal(0, 0.1, D)
t = {k: v.astype(np.float32) for k, v in t.items()}
config = {"model_type": "gpt2", "vocab_size": V, "n_positions": P, "n_embd": D, "n_layer": L,
          "n_head": H, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5}
os.makedirs(os.path.join(WORK, "gpt2"))
json.dump(config, open(os.path.join(WORK, "gpt2", "config.json"), "w"))
write_safetensors(os.path.join(WORK, "gpt2", "model.safetensors"), t)

ids = [3, 10, 0, 7]
r = run("attention", "gpt2", "--ids", ",".join(map(str, ids)), "--out", "gpt2-maps", "--threads", 1,
        "--json")
j = json.loads(r.stdout)
a = j["models"][0]["analysis"]
check(a["layers"] == L and a["heads"] == H and a["tokens"] == len(ids), "gpt2 analysis shape: %r" % a)
# The per-head figure of a layer: without --height-mm its height fits the square panels (not the
# default 60 mm, whose upper half would stay empty); a given height is kept.
import re
for extra, want in (([], None), (["--height-mm", "60"], "60mm")):
    run("figure", "gpt2-maps", "--view", "attention:gpt2-maps:layer=0", "--out", "heads.svg", *extra)
    m = re.search(r'width="89mm" height="([0-9.]+)mm"', open(os.path.join(WORK, "heads.svg")).read(2000))
    check(m is not None and (m.group(1) + "mm" == want if want else 20 <= float(m.group(1)) < 50),
          "per-head figure height %r (wanted %r)" % (m and m.group(1), want or "fitted, 20..50 mm"))
maps = read_npy(os.path.join(WORK, "gpt2-maps", "gpt2-maps.npy")).astype(np.float64)
check(maps.shape == (1, L, H, len(ids), len(ids)), "maps shape %r" % (maps.shape,))

# Layer 0's maps in float64 from the checkpoint's own tensors.
x = t["wte.weight"].astype(np.float64)[ids] + t["wpe.weight"].astype(np.float64)[:len(ids)]
mu, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
a0 = (x - mu) / np.sqrt(var + 1e-5) * t["h.0.ln_1.weight"] + t["h.0.ln_1.bias"]
qkv = a0 @ t["h.0.attn.c_attn.weight"].astype(np.float64) + t["h.0.attn.c_attn.bias"]
q, k = qkv[:, :D], qkv[:, D:2 * D]
dh = D // H
for head in range(H):
    s = q[:, head * dh:(head + 1) * dh] @ k[:, head * dh:(head + 1) * dh].T / np.sqrt(dh)
    s[np.triu_indices(len(ids), 1)] = -np.inf
    ref = np.exp(s - s.max(1, keepdims=True))
    ref /= ref.sum(1, keepdims=True)
    err = np.abs(maps[0, 0, head] - ref).max()
    check(err < 1e-5, "head %d's map differs from numpy's by %g" % (head, err))

# --text through the folder's own tokenizer (a hand-made byte-level BPE vocabulary: "ab ab c"
# is pre-tokenised to "ab", " ab", " c", and the merges a+b, Ġ+ab, Ġ+c give ids 4, 5, 6).
shutil.copytree(os.path.join(WORK, "gpt2"), os.path.join(WORK, "gpt2-notok"))
with open(os.path.join(WORK, "gpt2", "vocab.json"), "w") as f:
    json.dump({"a": 0, "b": 1, "c": 2, "\u0120": 3, "ab": 4, "\u0120ab": 5, "\u0120c": 6}, f)
with open(os.path.join(WORK, "gpt2", "merges.txt"), "w") as f:
    f.write("#version: 0.2\na b\n\u0120 ab\n\u0120 c\n")
r = run("attention", "gpt2", "--text", "ab ab c", "--out", "gpt2-text", "--threads", 1, "--json")
j = json.loads(r.stdout)
check(j["tokens"] == {"ids": [4, 5, 6], "tokens": ["ab", " ab", " c"]}, "tokens: %r" % j.get("tokens"))
check(json.load(open(os.path.join(WORK, "gpt2-text", "tokens.json")))["ids"] == [4, 5, 6], "tokens.json")
r2 = run("attention", "gpt2", "--ids", "4,5,6", "--out", "gpt2-ids", "--threads", 1, "--json")
check(json.loads(r2.stdout)["models"][0]["analysis"]["per_head"] == j["models"][0]["analysis"]["per_head"],
      "--text gives the analysis of its ids")
one_line_error(["attention", "gpt2", "--text", "abd", "--out", "bad5"], "vocab")
one_line_error(["attention", "gpt2-notok", "--text", "ab", "--out", "bad6"], "holds no vocab.json")
one_line_error(["attention", "gpt2", "--ids", "1,x", "--out", "bad1"], "--ids: 'x' is not a token id")
one_line_error(["attention", "gpt2", "--ids", "1,11", "--out", "bad2"], "outside")
one_line_error(["attention", "gpt2", "--ids", "1,2,3,4,5,6,7", "--out", "bad3"], "has 6 positions")
config["activation_function"] = "relu"
os.makedirs(os.path.join(WORK, "gpt2-relu"))
json.dump(config, open(os.path.join(WORK, "gpt2-relu", "config.json"), "w"))
write_safetensors(os.path.join(WORK, "gpt2-relu", "model.safetensors"), t)
one_line_error(["attention", "gpt2-relu", "--ids", "1,2", "--out", "bad4"],
               "config.json: key activation_function is \"relu\"")

if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print("ok: weight matching, interpolation and a GPT-2 folder's maps through the command line")
