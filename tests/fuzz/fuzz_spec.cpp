// libFuzzer harness: experiment specs. parse_spec on arbitrary text; when it accepts, the
// resolved spec must survive the round trip its header promises: spec_to_json(s) parses again,
// and writing that spec gives the same text (a fixed point). InputError is fine; anything
// else (a crash, a sanitizer report, another exception, a failed round trip) is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/spec.h"

using namespace ridgeline;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ExperimentSpec spec;
  try {
    spec = parse_spec(text, "fuzz.json");
  } catch (const InputError&) {
    return 0;
  }
  const std::string json = spec_to_json(spec);
  std::string again;
  try {
    again = spec_to_json(parse_spec(json, "round-trip.json"));
  } catch (const InputError& e) {
    std::fprintf(stderr, "spec_to_json wrote a spec parse_spec refuses: %s\n%s\n", e.what(),
                 json.c_str());
    std::abort();
  }
  if (again != json) {
    std::fprintf(stderr, "spec → JSON → spec is not a fixed point:\n%s\n---\n%s\n", json.c_str(),
                 again.c_str());
    std::abort();
  }
  return 0;
}
