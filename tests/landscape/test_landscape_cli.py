#!/usr/bin/env python3
"""`ridgeline landscape` end to end (docs/USER_GUIDE.md, "Landscapes"), and the landscape step
of resources/experiments/gmm-landscape.json through `ridgeline run`:

- cli: three tiny models trained by the CLI; a plane with --json (coordinates, pass, linear
  path, persistence, provenance), its files (.json, .npy shapes, .vts); the text form; random
  directions; the run folder of the example spec (results/<id>.json, surfaces/<id>.vts);
- vtk: the .vts read by VTK's own XML reader (Debian's python3-vtk9): dimensions, point
  coordinates (x, y, loss) and the arrays equal the .npy grids. Exits 77 (skipped) without VTK.

    test_landscape_cli.py RIDGELINE WORK_DIR SOURCE_DIR cli|vtk
"""
import json
import os
import shutil
import struct
import subprocess
import sys

EXE, WORK, SRC, PART = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
GMM = "gmm:300,200,8,3,5"
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def run(*args, expect=0):
    r = subprocess.run([EXE, *[str(a) for a in args]], cwd=WORK, capture_output=True, text=True, timeout=300)
    if r.returncode != expect:
        sys.exit("ridgeline %s: exit %d (wanted %d)\n%s" % (" ".join(map(str, args)), r.returncode, expect,
                                                          r.stderr))
    return r


def read_npy(path):
    """(shape, values) of a little-endian float64 .npy (format 1.0), without numpy."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", path
    (hlen,) = struct.unpack("<H", data[8:10])
    header = data[10:10 + hlen].decode()
    assert "'<f8'" in header, header
    shape = tuple(int(x) for x in header.split("'shape': (")[1].split(")")[0].split(",") if x.strip())
    n = 1
    for s in shape:
        n *= s
    return shape, struct.unpack("<%dd" % n, data[10 + hlen:10 + hlen + 8 * n])


if PART == "vtk":
    try:
        import vtk  # noqa: F401  (Debian's python3-vtk9)
        from vtk.util.numpy_support import vtk_to_numpy
    except ImportError:
        print("VTK's Python module is not installed (python3-vtk9): skipped", file=sys.stderr)
        sys.exit(77)

if os.path.isdir(WORK):
    shutil.rmtree(WORK)
os.makedirs(WORK)
for name, seed in (("A", 0), ("B", 1), ("C", 2)):
    run("train", "--arch", "mlp:8,12,3", "--data", GMM, "--seed", seed, "--epochs", 2, "--batch", 50,
        "--threads", 1, "--quiet", "--out", name + ".safetensors")

# ------------------------------------------------------------------------------ the plane
r = run("landscape", "A.safetensors", "B.safetensors", "C.safetensors", "--data", GMM, "--grid", "9x7",
        "--x", "-0.5:1.5", "--y", "-0.5:1", "--subset", 150, "--project", "C.safetensors", "--threads", 1,
        "--out", "plane", "--json")
j = json.loads(r.stdout)
check(j["kind"] == "plane" and j["models"] == ["A", "B", "C"], "models: %r" % j["models"])
coords = {c["name"]: c for c in j["coordinates"]}
check(coords["A"]["x"] == 0 and coords["A"]["y"] == 0 and coords["B"]["x"] == 1 and coords["B"]["y"] == 0,
      "A, B coordinates: %r" % j["coordinates"])
check(coords["C"]["y"] > 0, "C has c_y > 0")
check(len(j["coordinates"]) == 4 and abs(j["coordinates"][3]["y"] - coords["C"]["y"]) < 1e-6,
      "a projected copy of C sits at C: %r" % j["coordinates"])
check(j["grid"] == {"nx": 9, "ny": 7, "x": [-0.5, 1.5], "y": [-0.5, 1.0]}, "grid: %r" % j["grid"])
check(j["split"] == "test" and j["subset"] == 150, "split/subset: %s %s" % (j["split"], j["subset"]))
check(j["pass"] is not None and j["linear"] is not None, "pass and linear path present")
check(j["pass"]["cells"][0] == [2, 2] and j["pass"]["cells"][-1] == [6, 2], "pass from A to B: %r" % j["pass"]["cells"])
check(j["pass"]["loss_mid"] <= j["linear"]["loss_mid"] + 1e-12, "pass above the linear path")
check(j["persistence"][0]["death"] is None and j["persistence"][0]["saddle"] is None, "global minimum first")
check("provenance" in j and j["provenance"]["out"].endswith("plane"), "provenance: %r" % j.get("provenance"))
check(j["rows_resumed"] == 0 and j["vts"] == "landscape.vts", "rows_resumed/vts")
for f in ("landscape.json", "landscape.loss.npy", "landscape.error.npy", "landscape.xs.npy", "landscape.ys.npy",
          "landscape.vts"):
    check(os.path.isfile(os.path.join(WORK, "plane", f)), "missing plane/" + f)
check(not os.path.exists(os.path.join(WORK, "plane", "landscape.resume")), "resume folder left behind")
shape, loss = read_npy(os.path.join(WORK, "plane", "landscape.loss.npy"))
check(shape == (7, 9), "loss shape %r" % (shape,))
check(abs(loss[2 * 9 + 6] - j["pass"]["loss"][-1]) == 0, "loss at B is the pass's end value")
with open(os.path.join(WORK, "plane", "landscape.json")) as f:
    on_disk = json.load(f)
check(on_disk["pass"] == j["pass"], "the file's pass is the printed one")

# Text form: the coordinates and the summary line, nothing on stdout but results.
r = run("landscape", "A.safetensors", "B.safetensors", "C.safetensors", "--data", GMM, "--grid", "5x5",
        "--threads", 1, "--quiet", "--out", "plane-text", "--name", "t", "--connectivity", "8")
check("lowest pass: loss barrier" in r.stdout and "linear path on the grid" in r.stdout, r.stdout)
check(os.path.isfile(os.path.join(WORK, "plane-text", "t.vts")), "--name sets the files' stem")

# ------------------------------------------------------------------------------ precision
# A bad value: exit 2 and one line naming the option.
r = run("landscape", "A.safetensors", "B.safetensors", "C.safetensors", "--data", GMM, "--grid", "3x3",
        "--precision", "fp8", "--threads", 1, "--out", "fp8", expect=2)
check(r.stderr == "ridgeline landscape: --precision: 'fp8' is not fp32 or bf16\n", "fp8: %r" % r.stderr)
check(not os.path.exists(os.path.join(WORK, "fp8")), "--precision fp8 created its --out folder")
# bf16: close to the fp32 plane above and recorded in the JSON; where bf16 cannot run (no
# oneDNN, no AVX512-BF16) exit 2 with one line saying why, never an fp32 run.
bf16 = subprocess.run([EXE, "landscape", "A.safetensors", "B.safetensors", "C.safetensors", "--data", GMM, "--grid",
                       "9x7", "--x", "-0.5:1.5", "--y", "-0.5:1", "--subset", "150", "--project", "C.safetensors",
                       "--threads", "1", "--out", "plane-bf16", "--precision", "bf16", "--json"],
                      cwd=WORK, capture_output=True, text=True, timeout=300)
if bf16.returncode == 2:
    check(bf16.stderr.count("\n") == 1 and ("AVX512-BF16" in bf16.stderr or "oneDNN" in bf16.stderr),
          "bf16 refused without a reason: %r" % bf16.stderr)
    print("bf16 unavailable here: " + bf16.stderr.strip())
else:
    check(bf16.returncode == 0, "bf16: exit %d %s" % (bf16.returncode, bf16.stderr))
    jb = json.loads(bf16.stdout)
    check(jb["precision"] == "bf16", "bf16 precision recorded: %r" % jb.get("precision"))
    _, loss16 = read_npy(os.path.join(WORK, "plane-bf16", "landscape.loss.npy"))
    dev = max(abs(x - y) / max(1.0, abs(y)) for x, y in zip(loss16, loss))
    # The tolerance of tests/landscape/test_landscape_bf16.cpp (bf16's 8 significant bits).
    check(0 < dev < 1e-2, "bf16 vs fp32 relative loss deviation %g" % dev)
check(j["precision"] == "fp32", "fp32 precision recorded: %r" % j.get("precision"))

# ------------------------------------------------------------------------------- --help
r = run("landscape", "--help")
check("--precision" in r.stdout and "mpirun -np" in r.stdout, "landscape --help lacks --precision or mpirun")

# ------------------------------------------------------------------------ random directions
r = run("landscape", "A.safetensors", "--random", "--seed", 3, "--data", GMM, "--grid", "5x5", "--threads", 1,
        "--out", "random", "--json")
j = json.loads(r.stdout)
check(j["kind"] == "random" and j["seed"] == 3 and j["pass"] is None, "random: %r" % {k: j[k] for k in ("kind", "seed")})
shape, xs = read_npy(os.path.join(WORK, "random", "landscape.xs.npy"))
check(xs == (-1.0, -0.5, 0.0, 0.5, 1.0), "symmetric axis %r" % (xs,))

# ------------------------------------------------------------- a curve and the plane through it
r = run("curve", "A.safetensors", "B.safetensors", "--data", GMM, "--epochs", 3, "--batch", 50, "--lr", 0.05,
        "--points", 5, "--split", "test", "--threads", 1, "--out", "BEND.safetensors", "--json")
j = json.loads(r.stdout)
check(j["alpha"] == [0.0, 0.25, 0.5, 0.75, 1.0] and "test" in j and "train" not in j, "curve: %r" % j.get("alpha"))
check(j["curve"]["kind"] == "bezier" and len(j["curve"]["epoch_loss"]) == 3, "curve: %r" % j.get("curve"))
check("provenance" in j and j["provenance"]["out"].endswith("BEND.safetensors"), "curve provenance")
r = run("landscape", "A.safetensors", "B.safetensors", "BEND.safetensors", "--data", GMM, "--grid", "5x5",
        "--threads", 1, "--out", "curve-plane", "--json")
check(json.loads(r.stdout)["models"] == ["A", "B", "BEND"], "plane through the bend")

# ----------------------------------------------------- the example spec's landscape steps
run("run", os.path.join(SRC, "resources/experiments/gmm-landscape.json"), "--out", "spec-run", "--threads", 1,
    "--quiet")
for f in ("results/plane.json", "results/plane.loss.npy", "surfaces/plane.vts", "results/around-seed0.json",
          "surfaces/around-seed0.vts", "results/bend.json", "checkpoints/bend.safetensors",
          "surfaces/curve-plane.vts"):
    check(os.path.isfile(os.path.join(WORK, "spec-run", f)), "run folder lacks " + f)
with open(os.path.join(WORK, "spec-run", "results", "plane.json")) as f:
    p = json.load(f)
check(p["models"] == ["seed0", "seed1", "seed1@wm"] and p["pass"] is not None, "plane step: %r" % p["models"])

# ------------------------------------------------------------------------------- VTK reads it
if PART == "vtk":
    for folder in ("plane", "random"):
        path = os.path.join(WORK, folder, "landscape.vts")
        reader = vtk.vtkXMLStructuredGridReader()
        reader.SetFileName(path)
        reader.Update()
        g = reader.GetOutput()
        _, loss = read_npy(os.path.join(WORK, folder, "landscape.loss.npy"))
        (ny, nx), _ = read_npy(os.path.join(WORK, folder, "landscape.loss.npy"))[0], None
        check(g.GetDimensions() == (nx, ny, 1), "%s dims %r" % (folder, g.GetDimensions()))
        pts = vtk_to_numpy(g.GetPoints().GetData())
        _, xs = read_npy(os.path.join(WORK, folder, "landscape.xs.npy"))
        _, ys = read_npy(os.path.join(WORK, folder, "landscape.ys.npy"))
        vl = vtk_to_numpy(g.GetPointData().GetArray("loss"))
        ve = g.GetPointData().GetArray("error")
        check(ve is not None and ve.GetNumberOfTuples() == nx * ny, "error array")
        check(g.GetPointData().GetScalars().GetName() == "loss", "loss is the active scalar")
        for k in range(nx * ny):
            i, jj = k % nx, k // nx
            check(tuple(pts[k]) == (xs[i], ys[jj], loss[k]), "%s point %d: %r" % (folder, k, tuple(pts[k])))
            check(vl[k] == loss[k], "%s loss %d" % (folder, k))

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
