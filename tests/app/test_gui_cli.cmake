# The window's command line, headless (offscreen): --open-run with --view and --screenshot
# captures one view; bad --view names are one-line errors with exit code 2. Only registered
# when the GUI is built. Invoked as test_cli.cmake is.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(ENV{RIDGELINE_WORKSPACE} ${WORK}/ws)
unset(ENV{DISPLAY})
unset(ENV{WAYLAND_DISPLAY})
set(ENV{QT_QPA_PLATFORM} offscreen)
# Qt warns on stderr without a runtime dir; bad input must still be exactly one line.
file(MAKE_DIRECTORY ${WORK}/xdg)
file(CHMOD ${WORK}/xdg DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
set(ENV{XDG_RUNTIME_DIR} ${WORK}/xdg)

include(${CMAKE_CURRENT_LIST_DIR}/expect.cmake)  # expect(code pattern args...)

file(WRITE ${WORK}/tiny.json [=[{
  "name": "tiny-gui-cli",
  "data": {"name": "gmm:600,200,8,3,7"},
  "model": {"arch": "mlp:8,16,3"},
  "train": {"optimizer": "adam", "lr": 0.01, "batch": 32, "epochs": 1},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
  "steps": [{"type": "interpolate", "id": "naive", "a": "seed0", "b": "seed1", "points": 5}]
}]=])
expect(0 "" run tiny.json --out run --threads 2 --quiet)

expect(2 "unknown view 'surface'" --open-run run --view surface --screenshot x.png)
expect(2 "no path 'nope'" --open-run run --view paths:nope --screenshot x.png)
if(EXISTS ${WORK}/x.png)
  message(FATAL_ERROR "a failed --view wrote a screenshot")
endif()
expect(0 "" run tiny.json --out run2 --threads 2 --quiet)
expect(2 "--compare needs --open-run" --compare run2 --screenshot x.png)
expect(2 "run3" --open-run run --compare run3 --screenshot x.png)
expect(0 "" --open-run run --compare run2 --view compare --screenshot compare.png)
foreach(view training alignment experiment jobs runs log paths paths:naive)
  string(REPLACE ":" "_" name ${view})
  expect(0 "" --open-run run --view ${view} --screenshot ${name}.png)
  file(SIZE ${WORK}/${name}.png size)
  file(READ ${WORK}/${name}.png magic LIMIT 8 HEX)
  if(NOT magic STREQUAL "89504e470d0a1a0a" OR size LESS 2000)
    message(FATAL_ERROR "--view ${view}: ${name}.png is not a PNG image (${size} bytes)")
  endif()
endforeach()

# Output locations are checked before the run or load starts (docs/RELIABILITY.md).
file(MAKE_DIRECTORY ${WORK}/shots_folder)
file(WRITE ${WORK}/plain_file "x")
expect(2 "--screenshot: 'shots_folder' is a folder" --open-run run --screenshot shots_folder)
expect(2 "--screenshot" --open-run run --screenshot /proc/ridgeline-shot.png)
expect(2 "--export-chart" --open-run run --export-chart plain_file/chart.svg)
expect(2 "--out: 'plain_file' is not a folder" --run-spec tiny.json --out plain_file --screenshot z.png)
expect(2 "--threads" --open-run run --threads 4294967297 --screenshot z.png)

# --screenshot-after: the live window mid-run, then the run is cancelled.
expect(2 "--screenshot-after needs --run-spec" --open-run run --screenshot-after 1 --screenshot y.png)
expect(2 "--screenshot-after: expected seconds" --run-spec tiny.json --screenshot-after -1 --screenshot y.png)
expect(0 "" --run-spec tiny.json --screenshot-after 0.3 --screenshot live.png --threads 1)
if(NOT EXISTS ${WORK}/live.png)
  message(FATAL_ERROR "--screenshot-after wrote no live.png")
endif()

# --export-chart exports the view it is given (issue 10): a view that is not a chart is bad
# input (exit 2, before any load), as is a chart view with nothing drawn.
file(WRITE ${WORK}/aligned.json [=[{
  "name": "tiny-gui-aligned",
  "data": {"name": "gmm:600,200,8,3,7"},
  "model": {"arch": "mlp:8,16,3"},
  "train": {"optimizer": "adam", "lr": 0.01, "batch": 32, "epochs": 1},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
  "steps": [{"type": "align", "id": "wm", "a": "seed0", "b": "seed1", "method": "wm"},
            {"type": "interpolate", "id": "naive", "a": "seed0", "b": "seed1", "points": 5},
            {"type": "interpolate", "id": "aligned", "a": "seed0", "b": "seed1@wm", "points": 5}]
}]=])
expect(0 "" run aligned.json --out arun --threads 2 --quiet)
foreach(view jobs runs log experiment)
  expect(2 "--export-chart: the view '${view}' is not a chart \\(charts: paths, all-paths"
         --open-run arun --view ${view} --export-chart nochart.png)
endforeach()
if(EXISTS ${WORK}/nochart.png)
  message(FATAL_ERROR "--export-chart of a view that is not a chart wrote a file")
endif()
expect(2 "the alignment view has nothing to draw" --open-run run --view alignment --export-chart na.svg)

# Each chart view exports its own chart: read the SVG's title (the chart's title).
function(svg_title file out)
  file(READ ${WORK}/${file} text)
  string(REGEX MATCH "<title>([^<]*)</title>" m "${text}")
  set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  string(REGEX MATCH "<svg width=\"([0-9.]+)mm\" height=\"([0-9.]+)mm\"" m "${text}")
  set(${out}_height "${CMAKE_MATCH_2}" PARENT_SCOPE)
endfunction()
foreach(view training alignment paths all-paths paths:aligned)
  string(REPLACE ":" "_" name ${view})
  expect(0 "" --open-run arun --view ${view} --export-chart ${name}.svg)
  svg_title(${name}.svg title_${name})
  message(STATUS "--view ${view}: '${title_${name}}' (${title_${name}_height} mm tall)")
endforeach()
if(NOT title_training MATCHES "^Training")
  message(FATAL_ERROR "--view training exported '${title_training}', not the training monitor")
endif()
if(NOT title_alignment MATCHES "Gain per layer" OR NOT title_alignment_height GREATER 200)
  message(FATAL_ERROR "--view alignment exported '${title_alignment}' "
                      "(${title_alignment_height} mm), not its stacked charts")
endif()
if(NOT title_all-paths MATCHES "^All paths" OR NOT title_paths MATCHES "seed0 → seed1 \\(naive\\)"
   OR NOT title_paths_aligned MATCHES "seed1@wm")
  message(FATAL_ERROR "paths / all-paths / paths:aligned exported '${title_paths}' / "
                      "'${title_all-paths}' / '${title_paths_aligned}'")
endif()
expect(0 "" --open-run arun --view alignment --export-chart alignment.png)
file(READ ${WORK}/alignment.png head LIMIT 24 HEX)
string(SUBSTRING ${head} 32 8 width_hex)
string(SUBSTRING ${head} 40 8 height_hex)
math(EXPR width "0x${width_hex}")
math(EXPR height "0x${height_hex}")
if(NOT width EQUAL 1800 OR NOT height EQUAL 2400)
  message(FATAL_ERROR "--view alignment PNG is ${width}x${height}, expected 1800x2400 (3 charts)")
endif()
