// JSON form of layer-wise results (paths/layerwise.h): each path's curve in the interpolate
// contract (paths/interpolation.h) under its layers and base.
#include <nlohmann/json.hpp>

#include "io/json_number.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/paths/layerwise.h"

namespace ridgeline {

using nlohmann::ordered_json;
using nlohmann::json;

std::string layerwise_to_json(const LayerwiseResult& r, int indent) {
  ordered_json j;
  j["a"] = r.a;
  j["b"] = r.b;
  j["seconds"] = r.seconds;
  ordered_json layers = ordered_json::array();
  for (const auto& g : r.layers) layers.push_back({{"name", g.name}, {"blocks", g.blocks}});
  j["layers"] = layers;
  ordered_json paths = ordered_json::array();
  for (const auto& p : r.paths) {
    ordered_json o;
    o["layer"] = p.layer;
    o["cumulative"] = p.cumulative;
    o["base"] = p.base;
    o["layers"] = p.layers;
    o["curve"] = ordered_json::parse(interpolation_to_json(p.curve));
    paths.push_back(o);
  }
  j["paths"] = paths;
  j["whole"] = ordered_json::parse(interpolation_to_json(r.whole));
  return j.dump(indent);
}

LayerwiseResult layerwise_from_json(const std::string& text, const std::string& source) {
  LayerwiseResult r;
  try {
    const json j = json::parse(text);
    r.a = j.at("a");
    r.b = j.at("b");
    r.seconds = json_number::finite_value(j, "seconds", 0.0);
    for (const auto& g : j.at("layers"))
      r.layers.push_back({g.at("name"), g.at("blocks").get<std::vector<std::string>>()});
    auto known = [&](const std::string& name) {
      for (const auto& g : r.layers)
        if (g.name == name) return true;
      return false;
    };
    for (const auto& o : j.at("paths")) {
      LayerwisePath p;
      p.layer = o.at("layer");
      p.cumulative = o.at("cumulative");
      p.base = o.at("base");
      if (p.base != "a" && p.base != "b") throw std::runtime_error("a path's base is not a or b");
      p.layers = o.at("layers").get<std::vector<std::string>>();
      if (p.layers.empty() || p.layers.back() != p.layer)
        throw std::runtime_error("path " + p.layer + ": its layers do not end with it");
      for (const auto& name : p.layers)
        if (!known(name)) throw std::runtime_error("path " + p.layer + ": unknown layer " + name);
      p.curve = interpolation_from_json(o.at("curve").dump(), source + ": path " + p.layer);
      r.paths.push_back(std::move(p));
    }
    r.whole = interpolation_from_json(j.at("whole").dump(), source + ": whole");
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(source + ": not a layer-wise result (" + std::string(e.what()) + ")");
  }
  return r;
}

}  // namespace ridgeline
