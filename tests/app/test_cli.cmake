# CLI end to end: train twice, interpolate --json, run a tiny spec, and the exit codes of bad
# input. Invoked by ctest as: cmake -DRIDGELINE=exe -DSOURCE_DIR=src -DWORK=dir -P test_cli.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(DATA "gmm:600,200,8,3,7")

include(${CMAKE_CURRENT_LIST_DIR}/expect.cmake)  # expect(code pattern args...)

# Train two models.
expect(0 "" train --arch mlp:8,16,3 --data ${DATA} --seed 0 --epochs 2 --batch 32 --lr 0.01 --threads 2 --out A.safetensors)
expect(0 "" train --arch mlp:8,16,3 --data ${DATA} --seed 1 --epochs 2 --batch 32 --lr 0.01 --threads 2 --out B.safetensors)
# Determinism of the CLI: same seed, same bytes.
expect(0 "" train --arch mlp:8,16,3 --data ${DATA} --seed 0 --epochs 2 --batch 32 --lr 0.01 --threads 2 --quiet --checkpoint-every 1 --out A2.safetensors)
if(NOT EXISTS ${WORK}/A2-epoch1.safetensors OR EXISTS ${WORK}/A2-epoch2.safetensors)
  message(FATAL_ERROR "--checkpoint-every 1 should keep A2-epoch1 (and the final A2) only")
endif()
file(SHA256 ${WORK}/A.safetensors ha)
file(SHA256 ${WORK}/A2.safetensors ha2)
if(NOT ha STREQUAL ha2)
  message(FATAL_ERROR "same seed gave different files")
endif()

# interpolate --json: exactly one JSON object with the documented keys.
expect(0 "" interpolate A.safetensors B.safetensors --data ${DATA} --points 7 --json)
string(STRIP "${LAST_OUT}" j)
string(JSON n LENGTH "${j}" alpha)
if(NOT n EQUAL 7)
  message(FATAL_ERROR "alpha has ${n} entries, expected 7: ${j}")
endif()
string(JSON lt LENGTH "${j}" test loss)
string(JSON le LENGTH "${j}" train error)
string(JSON bl GET "${j}" barrier test loss_lin)
string(JSON bm GET "${j}" barrier train error_mid)
string(JSON a6 GET "${j}" alpha 6)
if(NOT lt EQUAL 7 OR NOT le EQUAL 7 OR NOT a6 EQUAL 1)
  message(FATAL_ERROR "unexpected interpolation JSON: ${j}")
endif()
# Independently trained nets have a loss barrier on the naive path; an error barrier is a
# difference of error rates, so it lies in [-1, 1].
if(NOT bl GREATER 0 OR bm LESS -1 OR bm GREATER 1)
  message(FATAL_ERROR "unexpected barriers (test loss_lin ${bl}, train error_mid ${bm}): ${j}")
endif()
expect(0 "" interpolate A.safetensors B.safetensors --data ${DATA} --points 3 --split test --json)
string(JSON has_train ERROR_VARIABLE missing GET "${LAST_OUT}" train)
if(NOT missing)
  message(FATAL_ERROR "--split test still printed a train curve: ${LAST_OUT}")
endif()

# LayerNorm + GELU nets from the arch suffixes: the file records both, so interpolate needs no
# --activation (and ignores it for Ridgeline files); mixing with a plain net is bad input.
expect(0 "" train --arch mlp:8,16,3+ln+gelu --data ${DATA} --seed 0 --epochs 1 --batch 32 --lr 0.01 --threads 2 --quiet --out LA.safetensors)
expect(0 "" train --arch mlp:8,16,3+gelu+ln --data ${DATA} --seed 1 --epochs 1 --batch 32 --lr 0.01 --threads 2 --quiet --out LB.safetensors)
expect(0 "" interpolate LA.safetensors LB.safetensors --data ${DATA} --points 3 --json)
# (Their provenance differs: it records the arguments and the wall-clock time.)
string(JSON ln_json REMOVE "${LAST_OUT}" provenance)
expect(0 "" interpolate LA.safetensors LB.safetensors --data ${DATA} --points 3 --json --activation relu)
string(JSON ln_json2 REMOVE "${LAST_OUT}" provenance)
if(NOT ln_json STREQUAL ln_json2)
  message(FATAL_ERROR "--activation changed the result for Ridgeline files")
endif()
expect(2 "mlp:8,16,3\\+ln\\+gelu" interpolate A.safetensors LA.safetensors --data ${DATA})
expect(2 "--activation" interpolate LA.safetensors LB.safetensors --data ${DATA} --activation tanh)
expect(2 "--arch" train --arch mlp:8,16,3+bn --data ${DATA} --out X.safetensors)

# align: weight matching and activation matching, with the documented JSON report.
foreach(method wm am am-pearson)
  expect(0 "" align A.safetensors B.safetensors --data ${DATA} --method ${method} --repair --json --out B_${method}.safetensors)
  string(JSON m GET "${LAST_OUT}" method)
  string(JSON passed GET "${LAST_OUT}" function_check passed)
  string(JSON plen LENGTH "${LAST_OUT}" layers 0 permutation)
  string(JSON l2b GET "${LAST_OUT}" l2_before)
  string(JSON l2a GET "${LAST_OUT}" l2_after)
  string(JSON mid_naive GET "${LAST_OUT}" midpoint naive test_loss)
  string(JSON mid_rep GET "${LAST_OUT}" midpoint aligned_repair test_loss)
  # Aligned and repaired, the midpoint is a better model than the naive average.
  if(NOT m STREQUAL method OR NOT passed OR NOT plen EQUAL 16 OR NOT l2a LESS l2b OR
     NOT mid_rep LESS mid_naive)
    message(FATAL_ERROR "align ${method}: unexpected report ${LAST_OUT}")
  endif()
  # The aligned file is an ordinary model of the same architecture.
  expect(0 "" interpolate A.safetensors B_${method}.safetensors --data ${DATA} --points 3 --json)
  string(JSON aligned_mid_${method} GET "${LAST_OUT}" barrier test loss_mid)
endforeach()
expect(0 "" align A.safetensors B.safetensors --data ${DATA} --method ste --epochs 2 --batch 200 --json --out B_ste.safetensors)
string(JSON m GET "${LAST_OUT}" method)
string(JSON passed GET "${LAST_OUT}" function_check passed)
if(NOT m STREQUAL "ste" OR NOT passed)
  message(FATAL_ERROR "align ste: unexpected report ${LAST_OUT}")
endif()
# MergeMany over three models.
expect(0 "" train --arch mlp:8,16,3 --data ${DATA} --seed 2 --epochs 2 --batch 32 --lr 0.01 --quiet --out T.safetensors)
expect(0 "" merge A.safetensors B.safetensors T.safetensors --data ${DATA} --json --out M.safetensors)
string(JSON merged_loss GET "${LAST_OUT}" merged_test loss)
string(JSON naive_loss GET "${LAST_OUT}" naive_average_test loss)
string(JSON nchecks LENGTH "${LAST_OUT}" function_check_max_abs_logit_diff)
if(NOT nchecks EQUAL 3 OR NOT merged_loss LESS naive_loss)
  message(FATAL_ERROR "merge: unexpected report ${LAST_OUT}")
endif()
expect(2 "at least two" merge A.safetensors --data ${DATA} --out M2.safetensors)
expect(0 "" interpolate A.safetensors B_wm.safetensors --data ${DATA} --points 5 --repair --json)
string(JSON rb GET "${LAST_OUT}" barrier test loss_mid)
# REPAIR lowers the weight-matched path's midpoint barrier (the same α = ½ as with 3 points).
if(NOT rb LESS aligned_mid_wm)
  message(FATAL_ERROR "interpolate --repair: midpoint barrier ${rb} not below ${aligned_mid_wm}")
endif()
expect(2 "--method" align A.safetensors B.safetensors --data ${DATA} --method xx --out Z.safetensors)

# run on a tiny spec.
file(WRITE ${WORK}/tiny.json [=[{
  "name": "tiny",
  "data": {"name": "gmm:600,200,8,3,7"},
  "model": {"arch": "mlp:8,16,3"},
  "train": {"epochs": 2, "batch": 32, "lr": 0.01},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
  "steps": [{"type": "interpolate", "id": "naive", "a": "seed0", "b": "seed1", "points": 5},
            {"type": "align", "a": "seed0", "b": "seed1", "method": "wm"},
            {"type": "interpolate", "id": "wm+repair", "a": "seed0", "b": "seed1@wm", "points": 5, "repair": true},
            {"type": "merge", "models": ["seed0", "seed1"]},
            {"type": "interpolate", "id": "to-merged", "a": "seed0", "b": "merged", "points": 3}]
}]=])
expect(0 "" run tiny.json --out runs/tiny --threads 2)
foreach(f checkpoints/seed1@wm.safetensors results/align-seed1@wm.json results/wm+repair.json results/barriers.csv checkpoints/merged.safetensors results/merged.json results/to-merged.json)
  if(NOT EXISTS ${WORK}/runs/tiny/${f})
    message(FATAL_ERROR "run folder lacks ${f}")
  endif()
endforeach()
foreach(f experiment.json provenance.json log.txt checkpoints/seed0.safetensors results/naive.json results/naive.test_loss.npy)
  if(NOT EXISTS ${WORK}/runs/tiny/${f})
    message(FATAL_ERROR "run folder lacks ${f}")
  endif()
endforeach()
# The run's checkpoints are ordinary model files for the other subcommands.
expect(0 "" interpolate runs/tiny/checkpoints/seed0.safetensors runs/tiny/checkpoints/seed1.safetensors --data ${DATA} --points 5 --json)
string(JSON cli_b GET "${LAST_OUT}" barrier test loss_mid)
file(READ ${WORK}/runs/tiny/results/naive.json run_json)
string(JSON run_b GET "${run_json}" barrier test loss_mid)
if(NOT cli_b EQUAL run_b AND NOT cli_b STREQUAL run_b)
  message(FATAL_ERROR "run and CLI disagree: ${run_b} vs ${cli_b}")
endif()

# Bad input: one line, exit 2, naming the file or option.
expect(2 "missing.safetensors" interpolate missing.safetensors B.safetensors --data ${DATA})
file(WRITE ${WORK}/short.safetensors "abc")
expect(2 "short.safetensors" interpolate short.safetensors B.safetensors --data ${DATA})
# Truncated and lying files are covered in the engine tests; here a header length ("zzzzzzzz"
# read as a little-endian u64) far past the end of the file:
file(WRITE ${WORK}/lies.safetensors "zzzzzzzz{}")
expect(2 "lies.safetensors" interpolate lies.safetensors B.safetensors --data ${DATA})
expect(0 "" train --arch mlp:8,9,3 --data ${DATA} --epochs 1 --quiet --out C.safetensors)
expect(2 "architecture" interpolate A.safetensors C.safetensors --data ${DATA})
expect(2 "architecture" align A.safetensors C.safetensors --data ${DATA} --out Z.safetensors)
expect(2 "expects 8 inputs" interpolate A.safetensors B.safetensors --data gmm:100,50,5,3,1)
expect(2 "--lr" train --arch mlp:8,16,3 --data ${DATA} --lr nan --out X.safetensors)
expect(2 "--lr" train --arch mlp:8,16,3 --data ${DATA} --lr inf --out X.safetensors)
expect(2 "--momentum" train --arch mlp:8,16,3 --data ${DATA} --optimizer sgd --momentum 1.5 --out X.safetensors)
expect(2 "--arch" train --arch mlp:8,x,3 --data ${DATA} --out X.safetensors)
expect(2 "unknown option '--bogus'" train --arch mlp:8,16,3 --bogus 1 --out X.safetensors)
expect(2 "--out is required" train --arch mlp:8,16,3 --data ${DATA})
expect(2 "expects 8 inputs" train --arch mlp:8,16,3 --data gmm:100,50,5,3,1 --out X.safetensors)
expect(2 "nosuchdir" train --arch mlp:8,16,3 --data /nosuchdir --out X.safetensors)
expect(2 "--device" train --arch mlp:8,16,3 --data ${DATA} --device tpu --out X.safetensors)
file(WRITE ${WORK}/bad.json [=[{"name": "bad", "model": {"arch": "mlp:8,16,3"}, "models": [{"name": "s", "seed": 0}], "train": {"lrr": 1}}]=])
expect(2 "bad.json: train.lrr: unknown key" run bad.json --out runs/bad)
expect(2 "nothere.json" run nothere.json)
if(EXISTS ${WORK}/X.safetensors)
  message(FATAL_ERROR "a failed train wrote its output")
endif()
# Input found before any work (docs/RELIABILITY.md): every output location, the model's
# memory, every option; one printable line, and no notice line before it.
file(MAKE_DIRECTORY ${WORK}/a_folder)
file(WRITE ${WORK}/a_file "x")
# (An empty --out is in the catalogue: CMake cannot pass an empty argument.)
# Not a regular file: a FIFO of our own (never /dev/null: a binary without the check, run as
# root, would replace the machine's /dev/null with its output).
execute_process(COMMAND mkfifo ${WORK}/a_fifo RESULT_VARIABLE fifo_rc)
if(NOT fifo_rc EQUAL 0)
  message(FATAL_ERROR "mkfifo failed")
endif()
foreach(place a_folder /proc/ridgeline-test.safetensors a_file/out.safetensors a_fifo)
  expect(2 "--out" train --arch mlp:8,16,3 --data ${DATA} --epochs 1 --out "${place}")
  expect(2 "--out" align A.safetensors B.safetensors --data ${DATA} --out "${place}")
  expect(2 "--out" merge A.safetensors B.safetensors --data ${DATA} --out "${place}")
endforeach()
foreach(place a_file /proc/ridgeline-test-run a_file/run)
  expect(2 "--out" run tiny.json --out "${place}")
endforeach()
expect(2 "--workspace" run tiny.json --workspace a_file)
# 10^7 hidden units: ~300 GiB of activations for a 2000-row evaluation batch.
expect(2 "--arch: mlp:784,10000000,10 needs about" train --arch mlp:784,10000000,10 --data ${DATA} --out X.safetensors)
file(WRITE ${WORK}/huge.json [=[{"name": "huge", "data": {"name": "gmm:600,200,8,3,7"},
  "model": {"arch": "mlp:8,10000000,3"}, "models": [{"name": "s", "seed": 0}]}]=])
expect(2 "model.arch: mlp:8,10000000,3 needs about" run huge.json --workspace ws_huge)
if(EXISTS ${WORK}/ws_huge/runs)
  message(FATAL_ERROR "a run refused for its memory created a run folder")
endif()
# Data that cannot be read: the key and the folder, and no "run folder"/"device" line first.
file(WRITE ${WORK}/nodata.json [=[{"name": "nodata", "data": {"name": "/no/such/data"},
  "model": {"arch": "mlp:8,16,3"}, "models": [{"name": "s", "seed": 0}]}]=])
expect(2 "data.name: /no/such/data" run nodata.json --out runs/nodata)
# Control characters and long values in a message are escaped and cut, on one line.
string(ASCII 27 esc)
# The message shows the newline as \n and ESC as \x1b (regex \\\\ is one backslash).
expect(2 "--arch: .*mlp:8\\\\n16\\\\x1b" train --arch "mlp:8\n16${esc},3" --data ${DATA} --out X.safetensors)
string(REPEAT "1," 15000 long_arch)
expect(2 "--arch" train --arch "mlp:8,${long_arch}x" --data ${DATA} --out X.safetensors)
string(LENGTH "${LAST_ERR}" err_len)
if(err_len GREATER 500)
  message(FATAL_ERROR "a 30,000-character value gave a ${err_len}-byte error line")
endif()
# Integers: digits only, range-checked, never wrapped; read before any work or notice.
foreach(v 4294967297 99999999999999999999 -1 " 5" +5 5x)
  expect(2 "--epochs" train --arch mlp:8,16,3 --data ${DATA} --epochs "${v}" --out X.safetensors)
endforeach()
expect(2 "--seed" align A.safetensors B.safetensors --data ${DATA} --method am --seed junk --out Z.safetensors)
expect(2 "--repair-samples" interpolate A.safetensors B.safetensors --data ${DATA} --repair --repair-samples -1)
expect(2 "--max-sweeps" merge A.safetensors B.safetensors --data ${DATA} --max-sweeps 4294967296 --out M3.safetensors)
# Divergence is a failure while running (exit 1) naming the epoch.
expect(1 "epoch 1" train --arch mlp:8,16,3 --data ${DATA} --optimizer sgd --lr 1e30 --momentum 0 --out D.safetensors)
# The run catalog: a run into a workspace is listed and shown; unknown ids are bad input.
expect(0 "" run tiny.json --workspace ws --threads 2 --quiet)
expect(0 "" runs list --workspace ws)
if(NOT LAST_OUT MATCHES "tiny-[0-9-]+ +finished +[0-9TZ:-]+ +gmm:600,200,8,3,7 +mlp:8,16,3 +[+-][0-9.]+ +[+-][0-9]+\\.[0-9][0-9]%")
  message(FATAL_ERROR "runs list: unexpected table:\n${LAST_OUT}")
endif()
expect(0 "" runs list --workspace ws --json)
string(JSON nruns LENGTH "${LAST_OUT}" runs)
string(JSON run_id GET "${LAST_OUT}" runs 0 id)
string(JSON run_status GET "${LAST_OUT}" runs 0 status)
string(JSON nbar LENGTH "${LAST_OUT}" runs 0 barriers)
if(NOT nruns EQUAL 1 OR NOT run_status STREQUAL "finished" OR NOT nbar EQUAL 6)
  message(FATAL_ERROR "runs list --json: unexpected ${LAST_OUT}")
endif()
expect(0 "" runs show ${run_id} --workspace ws)
if(NOT LAST_OUT MATCHES "run folder: [^\n]*ws/runs/${run_id}" OR NOT LAST_OUT MATCHES "naive test: loss")
  message(FATAL_ERROR "runs show: unexpected output:\n${LAST_OUT}")
endif()
expect(0 "" runs show ${run_id} --workspace ws --json)
string(JSON shown_dir GET "${LAST_OUT}" dir)
if(NOT EXISTS "${shown_dir}/provenance.json")
  message(FATAL_ERROR "runs show --json: dir ${shown_dir} is not the run folder")
endif()
# A run folder copied in from elsewhere appears after the rescan that `runs list` does.
file(COPY ${WORK}/runs/tiny DESTINATION ${WORK}/ws/runs)
expect(0 "" runs show tiny --workspace ws --json)
string(JSON copied_status GET "${LAST_OUT}" status)
if(NOT copied_status STREQUAL "finished")
  message(FATAL_ERROR "runs show tiny: copied run folder not rescanned: ${LAST_OUT}")
endif()
expect(2 "no-such-run" runs show no-such-run --workspace ws)
expect(2 "nowhere" runs list --workspace nowhere)
expect(2 "runs" runs frobnicate)
expect(0 "" --help)

# The quadratic oracle through the bundled spec and `interpolate`: no data read, the loss path
# is a parabola (closed form: L(α) = L_A + α·s + ½α²·c, so L(½) = (L_A + L_B)/2 − c/8 and the
# mean-endpoint barrier is L(½) − (L_A + L_B)/2 = −c/8 on the 25-point grid, which holds ½),
# errors are undefined (null), and aligning or REPAIR, which need hidden units, are bad input.
expect(0 "" run ${SOURCE_DIR}/resources/experiments/quadratic-oracle.json --out qrun --threads 1 --json)
set(q ${WORK}/qrun/checkpoints)
expect(0 "" interpolate ${q}/seed0.safetensors ${q}/seed1.safetensors --split test --points 25 --json)
string(JSON l0 GET "${LAST_OUT}" test loss 0)
string(JSON lm GET "${LAST_OUT}" test loss 12)
string(JSON l1 GET "${LAST_OUT}" test loss 24)
string(JSON e0 TYPE "${LAST_OUT}" test error 0)
string(JSON bmid GET "${LAST_OUT}" barrier test loss_mid)
if(NOT e0 STREQUAL "NULL")
  message(FATAL_ERROR "quadratic interpolate: error should be null, is ${e0}")
endif()
# loss_mid = max_k L(α_k) − ½(L_A + L_B): with L convex in α the maximum is an endpoint.
execute_process(COMMAND /usr/bin/python3 -c "import sys; a,m,b,bm=map(float,sys.argv[1:]); \
d=max(a,b)-(a+b)/2; sys.exit(0 if abs(bm-d)<1e-9*max(1,abs(d)) and m<min(a,b) else 1)" ${l0} ${lm} ${l1} ${bmid}
  RESULT_VARIABLE py_rc)
if(NOT py_rc EQUAL 0)
  message(FATAL_ERROR "quadratic interpolate: L(0)=${l0} L(½)=${lm} L(1)=${l1} loss_mid=${bmid}")
endif()
expect(2 "needs an MLP" align ${q}/seed0.safetensors ${q}/seed1.safetensors --out QX.safetensors)
expect(2 "needs an MLP" interpolate ${q}/seed0.safetensors ${q}/seed1.safetensors --repair)
expect(2 "have different architectures" interpolate ${q}/seed0.safetensors A.safetensors --data ${DATA})
# Checkpoint names in a spec's steps (docs/USER_GUIDE.md, "Models"): interpolating
# 'seed0@epoch1' and a spawn's 'sp@step12' in a run gives the curve `ridgeline interpolate` gives
# on the two checkpoint files; an external file that does not exist is one error before training.
file(WRITE ${WORK}/spawn.json [=[{"name": "spawn", "data": {"name": "gmm:400,150,6,3,1"},
 "model": {"arch": "mlp:6,12,3"},
 "train": {"epochs": 3, "batch": 50, "lr": 0.01, "checkpoint_every": 1, "checkpoint_every_steps": 4},
 "models": [{"name": "seed0", "seed": 0}, {"name": "sp", "from": "seed0@epoch1", "seed": 7}],
 "steps": [{"type": "interpolate", "id": "ck", "a": "seed0@epoch1", "b": "sp@step12", "points": 5}]}]=])
expect(0 "" run spawn.json --out spawnrun --threads 1 --quiet)
expect(0 "" interpolate spawnrun/checkpoints/seed0-epoch1.safetensors spawnrun/checkpoints/sp-step12.safetensors
       --data gmm:400,150,6,3,1 --points 5 --json)
file(READ ${WORK}/spawnrun/results/ck.json ck)
foreach(split train test)
  foreach(k 0 2 4)
    string(JSON by_hand GET "${LAST_OUT}" ${split} loss ${k})
    string(JSON in_run GET "${ck}" ${split} loss ${k})
    if(NOT by_hand STREQUAL in_run)
      message(FATAL_ERROR "spawn.json: ${split} loss ${k}: ${in_run} in the run, ${by_hand} by hand")
    endif()
  endforeach()
endforeach()
file(WRITE ${WORK}/spawn_missing.json [=[{"name": "spawn", "data": {"name": "gmm:400,150,6,3,1"},
 "model": {"arch": "mlp:6,12,3"}, "train": {"epochs": 1},
 "models": [{"name": "seed0", "seed": 0}, {"name": "ext", "path": "gone.safetensors"}]}]=])
expect(2 "spawn_missing.json: models.1..path: .*gone.safetensors: no such file" run spawn_missing.json --out spawnmissing)
if(EXISTS ${WORK}/spawnmissing)
  message(FATAL_ERROR "spawn_missing.json: a run folder was made for a spec with a missing model file")
endif()
message(STATUS "CLI end-to-end checks passed")
