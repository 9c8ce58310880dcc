// The files of a spectra analysis: results/<id>.json (every statistic, the overlap matrices,
// R(γ)) and one .npy of singular values per model and layer.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "io/json_number.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/spectra/spectra.h"

namespace ridgeline {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// NaN has no JSON form: null in the file, NaN again when read.
ordered_json num(double x) { return json_number::or_null(x); }
double num_of(const json& j) { return json_number::finite_or_null(j, "a statistic"); }
int int_of(const json& j, const char* key) { return json_number::int_of(j.at(key), key); }

ordered_json layer_json(const MatrixSpectrum& m) {
  ordered_json j;
  j["name"] = m.name;
  j["shape"] = {m.rows, m.cols};
  j["frobenius_sq"] = num(m.frobenius_sq);
  j["spectral_norm"] = num(m.spectral_norm);
  j["stable_rank"] = num(m.stable_rank);
  j["entropy_rank"] = num(m.entropy_rank);
  j["numerical_rank"] = m.numerical_rank;
  ordered_json f;
  f["ok"] = m.fit.ok;
  if (m.fit.ok) {
    f["alpha"] = num(m.fit.alpha);
    f["alpha_se"] = num(m.fit.alpha_se);
    f["xmin"] = num(m.fit.xmin);
    f["ks_distance"] = num(m.fit.ks_distance);
    f["tail"] = m.fit.tail;
  } else {
    f["failure"] = m.fit.failure;
  }
  f["n"] = m.fit.n;
  j["power_law"] = f;
  j["mp_sigma2"] = num(m.mp_sigma2);
  j["mp_edge"] = num(m.mp_edge);
  j["mp_spikes"] = m.mp_spikes;
  j["singular_values"] = m.singular_values;
  return j;
}

MatrixSpectrum layer_of(const json& j) {
  MatrixSpectrum m;
  m.name = j.at("name");
  m.rows = json_number::int_of(j.at("shape").at(0), "shape");
  m.cols = json_number::int_of(j.at("shape").at(1), "shape");
  m.frobenius_sq = num_of(j.at("frobenius_sq"));
  m.spectral_norm = num_of(j.at("spectral_norm"));
  m.stable_rank = num_of(j.at("stable_rank"));
  m.entropy_rank = num_of(j.at("entropy_rank"));
  m.numerical_rank = int_of(j, "numerical_rank");
  const json& f = j.at("power_law");
  m.fit.ok = f.at("ok");
  m.fit.n = int_of(f, "n");
  if (m.fit.ok) {
    m.fit.alpha = num_of(f.at("alpha"));
    m.fit.alpha_se = num_of(f.at("alpha_se"));
    m.fit.xmin = num_of(f.at("xmin"));
    m.fit.ks_distance = num_of(f.at("ks_distance"));
    m.fit.tail = int_of(f, "tail");
  } else {
    m.fit.failure = f.at("failure");
  }
  m.mp_sigma2 = num_of(j.at("mp_sigma2"));
  m.mp_edge = num_of(j.at("mp_edge"));
  m.mp_spikes = int_of(j, "mp_spikes");
  for (const auto& x : j.at("singular_values")) m.singular_values.push_back(num_of(x));
  if (m.rows < 1 || m.cols < 1) throw std::runtime_error("layer " + m.name + " has an empty shape");
  if (m.singular_values.size() != static_cast<size_t>(std::min(m.rows, m.cols)))
    throw std::runtime_error("layer " + m.name + " does not have min(rows, cols) singular values");
  for (size_t i = 0; i < m.singular_values.size(); ++i) {
    const double s = m.singular_values[i];
    if (!std::isfinite(s) || s < 0 || (i > 0 && s > m.singular_values[i - 1]))
      throw std::runtime_error("singular values of " + m.name +
                               " are not finite, non-negative and descending");
  }
  return m;
}

ordered_json alignment_json(const SpectraAlignment& a) {
  ordered_json j;
  j["a"] = a.a;
  j["b"] = a.b;
  j["top_k"] = a.top_k;
  j["gammas"] = a.gammas;
  ordered_json r = ordered_json::array();
  for (double x : a.r) r.push_back(num(x));
  j["r"] = r;
  j["inner_product"] = num(a.inner_product);
  j["inner_top_k"] = num(a.inner_top_k);
  ordered_json layers = ordered_json::array();
  for (const auto& l : a.layers) {
    ordered_json o;
    o["name"] = l.name;
    o["shape"] = {l.rows, l.cols};
    o["k"] = l.k;
    o["inner_product"] = num(l.inner_product);
    o["inner_top_k"] = num(l.inner_top_k);
    o["top_k_share"] = num(l.top_k_share);
    o["r_sum"] = l.r_sum;
    o["r_count"] = l.r_count;
    o["u_overlap"] = l.u_overlap;
    o["v_overlap"] = l.v_overlap;
    layers.push_back(o);
  }
  j["layers"] = layers;
  return j;
}

SpectraAlignment alignment_of(const json& j) {
  SpectraAlignment a;
  a.a = j.at("a");
  a.b = j.at("b");
  a.top_k = int_of(j, "top_k");
  a.gammas = json_number::finite_array(j.at("gammas"), "gammas");
  for (double g : a.gammas)
    if (!(g >= 0 && g <= 1)) throw std::runtime_error("a gamma is outside [0, 1]");
  for (const auto& x : j.at("r")) a.r.push_back(num_of(x));
  if (a.r.size() != a.gammas.size()) throw std::runtime_error("r does not have one value per gamma");
  a.inner_product = num_of(j.at("inner_product"));
  a.inner_top_k = num_of(j.at("inner_top_k"));
  for (const auto& o : j.at("layers")) {
    LayerAlignment l;
    l.name = o.at("name");
    l.rows = json_number::int_of(o.at("shape").at(0), "shape");
    l.cols = json_number::int_of(o.at("shape").at(1), "shape");
    l.k = int_of(o, "k");
    l.inner_product = num_of(o.at("inner_product"));
    l.inner_top_k = num_of(o.at("inner_top_k"));
    l.top_k_share = num_of(o.at("top_k_share"));
    l.r_sum = json_number::finite_array(o.at("r_sum"), "r_sum");
    if (!o.at("r_count").is_array()) throw std::runtime_error("r_count is not an array");
    for (const auto& c : o.at("r_count")) l.r_count.push_back(json_number::int_of(c, "r_count", 0));
    l.u_overlap = json_number::finite_array(o.at("u_overlap"), "u_overlap");
    l.v_overlap = json_number::finite_array(o.at("v_overlap"), "v_overlap");
    if (l.rows < 1 || l.cols < 1 || l.k < 0 || l.k > std::min(l.rows, l.cols))
      throw std::runtime_error("layer " + l.name + ": k is not within 0..min(rows, cols)");
    const size_t kk = static_cast<size_t>(l.k) * l.k;
    if (l.u_overlap.size() != kk || l.v_overlap.size() != kk)
      throw std::runtime_error("overlap matrices of " + l.name + " are not k×k");
    for (const auto* m : {&l.u_overlap, &l.v_overlap})
      for (double x : *m)
        if (!(x >= 0 && x <= 1 + 1e-9))
          throw std::runtime_error("overlap matrices of " + l.name + " are not within [0, 1]");
    if (l.r_sum.size() != a.gammas.size() || l.r_count.size() != a.gammas.size())
      throw std::runtime_error("layer " + l.name + ": r_sum and r_count need one value per gamma");
    a.layers.push_back(std::move(l));
  }
  return a;
}

// File names keep letters, digits and . _ - @; anything else becomes '_'.
std::string safe(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != '@')
      c = '_';
  return out;
}

ordered_json models_json(const std::vector<ModelSpectra>& ms) {
  ordered_json models = ordered_json::array();
  for (const auto& m : ms) {
    ordered_json o;
    o["model"] = m.model;
    ordered_json layers = ordered_json::array();
    for (const auto& l : m.layers) layers.push_back(layer_json(l));
    o["layers"] = layers;
    models.push_back(o);
  }
  return models;
}

std::vector<ModelSpectra> models_of(const json& j) {
  std::vector<ModelSpectra> out;
  for (const auto& m : j) {
    ModelSpectra ms;
    ms.model = m.at("model");
    for (const auto& l : m.at("layers")) ms.layers.push_back(layer_of(l));
    out.push_back(std::move(ms));
  }
  return out;
}

}  // namespace

std::string spectra_to_json(const SpectraResult& r, int indent) {
  ordered_json j;
  j["aligned_to"] = r.aligned_to.empty() ? ordered_json(nullptr) : ordered_json(r.aligned_to);
  j["top_k"] = r.top_k;
  j["gamma_rule"] = "s >= gamma * s_max per layer";
  j["seconds"] = r.seconds;
  j["models"] = models_json(r.models);
  ordered_json al = ordered_json::array();
  for (const auto& a : r.alignments) al.push_back(alignment_json(a));
  j["alignments"] = al;
  if (!r.over_training.empty()) {
    j["over_training_align"] = r.over_training_align;
    ordered_json ot = ordered_json::array();
    for (const auto& c : r.over_training) {
      ordered_json o;
      o["epoch"] = c.epoch;
      o["models"] = models_json(c.models);
      ordered_json cal = ordered_json::array();
      for (const auto& a : c.alignments) cal.push_back(alignment_json(a));
      o["alignments"] = cal;
      ot.push_back(o);
    }
    j["over_training"] = ot;
  }
  return j.dump(indent);
}

std::string spectra_npy_name(const std::string& stem, const std::string& model,
                             const std::string& layer) {
  return stem + "." + safe(model) + "." + safe(layer) + ".sv.npy";
}

void write_spectra(const SpectraResult& r, const std::string& dir, const std::string& stem) {
  namespace fs = std::filesystem;
  auto write_models = [&](const std::vector<ModelSpectra>& ms) {
    for (const auto& m : ms)
      for (const auto& l : m.layers)
        write_npy((fs::path(dir) / spectra_npy_name(stem, m.model, l.name)).string(),
                  l.singular_values, {static_cast<int64_t>(l.singular_values.size())});
  };
  write_models(r.models);
  for (const auto& c : r.over_training) write_models(c.models);
  write_file_atomic((fs::path(dir) / (stem + ".json")).string(), spectra_to_json(r, 1) + "\n");
}

SpectraResult load_spectra(const std::string& json_path) {
  return parse_spectra_json(read_file(json_path), json_path);
}

SpectraResult parse_spectra_json(const std::string& text, const std::string& source) {
  SpectraResult r;
  // Runs one part of the reading; its errors name the part ("models[1]: ...").
  auto part = [](const std::string& where, const auto& read) {
    try {
      read();
    } catch (const std::exception& e) {
      throw std::runtime_error(where + ": " + e.what());
    }
  };
  try {
    const json j = json::parse(text);
    part("aligned_to", [&] {
      if (!j.at("aligned_to").is_null()) r.aligned_to = j.at("aligned_to");
    });
    part("top_k", [&] {
      r.top_k = json_number::int_of(j.at("top_k"), "top_k", 0);
    });
    part("seconds", [&] { r.seconds = json_number::finite_value(j, "seconds", 0.0); });
    part("models", [&] { r.models = models_of(j.at("models")); });
    part("alignments", [&] {
      for (const auto& a : j.at("alignments")) r.alignments.push_back(alignment_of(a));
    });
    if (j.contains("over_training")) {
      part("over_training_align", [&] { r.over_training_align = j.at("over_training_align"); });
      part("over_training", [&] {
        for (const auto& o : j.at("over_training")) {
          SpectraCheckpoint c;
          c.epoch = int_of(o, "epoch");
          if (c.epoch < 1 || (!r.over_training.empty() && c.epoch <= r.over_training.back().epoch))
            throw std::runtime_error("epochs are not increasing from 1");
          c.models = models_of(o.at("models"));
          for (const auto& a : o.at("alignments")) c.alignments.push_back(alignment_of(a));
          r.over_training.push_back(std::move(c));
        }
      });
    }
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    std::string why = e.what();
    for (char& c : why)
      if (c == '\n' || c == '\r') c = ' ';
    throw InputError(source + ": not a spectra result (" + why + ")");
  }
  return r;
}

}  // namespace ridgeline
