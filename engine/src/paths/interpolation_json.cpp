// JSON form of interpolation results (the `interpolate --json` contract).
#include <limits>
#include <nlohmann/json.hpp>

#include "io/json_number.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/paths/interpolation.h"

namespace ridgeline {

using nlohmann::json;

namespace {
// An undefined value (NaN: the error of a model without accuracy) is null in JSON.
double number_or_nan(const json& v) {
  return json_number::finite_or_null(v, "a value");
}
std::vector<double> numbers(const json& a) {
  std::vector<double> v;
  for (const json& x : a) v.push_back(number_or_nan(x));
  return v;
}
}  // namespace

std::string interpolation_to_json(const InterpolationResult& r, int indent) {
  json j;
  j["alpha"] = r.alpha;
  json barrier = json::object();
  auto put = [&](const char* key, const std::optional<SplitCurve>& c) {
    if (!c) return;
    j[key] = {{"loss", c->loss}, {"error", c->error}};
    barrier[key] = {{"loss_lin", c->barriers.loss_lin},
                    {"loss_mid", c->barriers.loss_mid},
                    {"error_lin", c->barriers.error_lin},
                    {"error_mid", c->barriers.error_mid},
                    {"loss_alpha", c->barriers.loss_alpha},
                    {"error_alpha", c->barriers.error_alpha}};
  };
  put("test", r.test);
  put("train", r.train);
  j["barrier"] = barrier;
  return j.dump(indent);
}

InterpolationResult interpolation_from_json(const std::string& text, const std::string& source) {
  try {
    json j = json::parse(text);
    InterpolationResult r;
    r.alpha = json_number::finite_array(j.at("alpha"), "alpha");
    auto get = [&](const char* key, std::optional<SplitCurve>& c) {
      if (!j.contains(key)) return;
      SplitCurve s;
      s.loss = numbers(j[key].at("loss"));
      s.error = numbers(j[key].at("error"));
      if (s.loss.size() != r.alpha.size() || s.error.size() != r.alpha.size())
        throw InputError(source + ": " + key + " curves do not match alpha in length");
      const json& b = j.at("barrier").at(key);
      s.barriers = {number_or_nan(b.at("loss_lin")), number_or_nan(b.at("loss_mid")),
                    number_or_nan(b.at("error_lin")), number_or_nan(b.at("error_mid"))};
      // Where the barrier occurs follows from the curve (results written before it was
      // recorded have no "loss_alpha").
      const int kl = barrier_linear_argmax(r.alpha, s.loss), ke = barrier_linear_argmax(r.alpha, s.error);
      if (kl >= 0) s.barriers.loss_alpha = r.alpha[kl];
      if (ke >= 0) s.barriers.error_alpha = r.alpha[ke];
      c = std::move(s);
    };
    get("train", r.train);
    get("test", r.test);
    return r;
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(source + ": not an interpolation result (" + std::string(e.what()) + ")");
  }
}

}  // namespace ridgeline
