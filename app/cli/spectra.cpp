// `ridgeline spectra`: singular-value spectra of every weight matrix of one or more models, and
// their singular-vector alignment to a reference model (docs/USER_GUIDE.md, "Spectra").
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/provenance.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/models/model_io.h"
#include "ridgeline/spectra/spectra.h"

namespace ridgeline::cli {

const CommandSpec& spectra_spec() {
  static const CommandSpec s{
      "spectra",
      "Singular-value spectra of every weight matrix (stable, entropy and numerical rank, "
      "power-law tail α, Marchenko–Pastur spikes) and the singular-vector alignment R(γ) to a "
      "reference model.",
      {"spectra MODEL.safetensors... [--aligned-to A.safetensors] [--top-k K] [--json]"},
      {{"aligned-to", "FILE", "",
        "reference model A: every other model's singular vectors are compared with A's (R(γ), "
        "top-k overlaps, the top-k share of ⟨W_A, W_B⟩)",
        "none: spectra only"},
       {"top-k", "K", "32", "singular vectors in the overlap matrices and the top-k share"},
       {"json", "", "", "print one JSON object (every statistic, the overlaps, R(γ), provenance)"},
       {"quiet", "", "", "no table"}},
      {"ridgeline spectra seed0.safetensors seed1.safetensors seed1_wm.safetensors --aligned-to "
       "seed0.safetensors",
       "ridgeline spectra model.safetensors --json"},
      {"R(γ) counts the singular vectors with s ≥ γ·s_max of their layer (γ on 0, 0.1, …, 1); "
       "R ≈ 1: aligned, R ≈ 0: unrelated (Ito et al., arXiv 2402.04051)."}};
  return s;
}

namespace {

std::string g4(double x) {
  if (!std::isfinite(x)) return "—";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", x);
  return buf;
}

// Pads to `width` characters counted as UTF-8 code points (σ, ×, ± and — are one each).
std::string pad(const std::string& t, size_t width, bool right = true) {
  size_t chars = 0;
  for (unsigned char c : t) chars += (c & 0xC0) != 0x80;
  const std::string fill(chars < width ? width - chars : 0, ' ');
  return right ? fill + t : t + fill;
}

void print_model(const ModelSpectra& m) {
  std::printf("%s\n", m.model.c_str());
  std::printf("  %s %s %s %s %s %s  %s %s %s %s\n", pad("layer", 14, false).c_str(),
              pad("shape", 10, false).c_str(), pad("σ_max", 9).c_str(), pad("stable", 8).c_str(),
              pad("entropy", 8).c_str(), pad("rank", 6).c_str(),
              pad("α ± se (tail)", 24, false).c_str(), pad("KS D", 7).c_str(),
              pad("MP edge", 9).c_str(), pad("spikes", 6).c_str());
  for (const auto& l : m.layers) {
    const std::string shape = std::to_string(l.rows) + "×" + std::to_string(l.cols);
    std::string fit = l.fit.ok ? g4(l.fit.alpha) + " ± " + g4(l.fit.alpha_se) + " (" +
                                     std::to_string(l.fit.tail) + ")"
                               : "fit failed";
    std::printf("  %s %s %s %s %s %s  %s %s %s %s\n", pad(l.name, 14, false).c_str(),
                pad(shape, 10, false).c_str(), pad(g4(l.spectral_norm), 9).c_str(),
                pad(g4(l.stable_rank), 8).c_str(), pad(g4(l.entropy_rank), 8).c_str(),
                pad(std::to_string(l.numerical_rank), 6).c_str(), pad(fit, 24, false).c_str(),
                pad(l.fit.ok ? g4(l.fit.ks_distance) : "—", 7).c_str(), pad(g4(l.mp_edge), 9).c_str(),
                pad(std::to_string(l.mp_spikes), 6).c_str());
    if (!l.fit.ok) std::printf("  %s power-law fit failed: %s\n", pad("", 14).c_str(), l.fit.failure.c_str());
  }
}

void print_alignment(const SpectraAlignment& al) {
  std::printf("%s against %s: R(γ=0) %s, R(γ=0.3) %s; top-%d pairs carry %s of ⟨W_A, W_B⟩ = %s\n",
              al.b.c_str(), al.a.c_str(), format_alignment_score(r_at(al, 0.0)).c_str(),
              format_alignment_score(r_at(al, 0.3)).c_str(), al.top_k,
              al.inner_product != 0 ? format_error(al.inner_top_k / al.inner_product).c_str() : "—",
              g4(al.inner_product).c_str());
  for (const auto& l : al.layers) {
    // The layer's own R at γ = 0 and 0.3 (its sum over its own normaliser).
    auto layer_r = [&](double g) {
      for (size_t i = 0; i < al.gammas.size(); ++i)
        if (std::abs(al.gammas[i] - g) < 1e-9 && l.r_count[i] > 0) return l.r_sum[i] / l.r_count[i];
      return std::nan("");
    };
    std::printf("  %-14s R(0) %s  R(0.3) %s  top-%d share %s\n", l.name.c_str(),
                format_alignment_score(layer_r(0.0)).c_str(),
                format_alignment_score(layer_r(0.3)).c_str(), l.k,
                std::isfinite(l.top_k_share) ? format_error(l.top_k_share).c_str() : "—");
  }
}

}  // namespace

int cmd_spectra(int argc, char** argv) {
  Args a(argc, argv, 2, spectra_spec());
  if (a.positionals().empty()) throw InputError("expected at least one model file MODEL.safetensors");
  const int top_k = static_cast<int>(a.integer("top-k", 1, 4096));
  const bool json_out = a.flag("json"), quiet = a.flag("quiet");
  const std::string ref = a.has("aligned-to") ? a.str("aligned-to") : "";
  std::vector<std::string> files = a.positionals();
  namespace fs = std::filesystem;
  // The reference's spectrum is shown too: first, unless it is among the models.
  if (!ref.empty()) {
    bool listed = false;
    for (const auto& f : files) listed = listed || absolute_path(f) == absolute_path(ref);
    if (!listed) files.insert(files.begin(), ref);
  }
  // Names: the file stems, or the paths where two stems coincide.
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(fs::path(f).stem().string());
  for (size_t i = 0; i < names.size(); ++i)
    for (size_t k = 0; k < names.size(); ++k)
      if (i != k && fs::path(files[i]).stem() == fs::path(files[k]).stem()) names[i] = files[i];
  std::vector<Model> models;
  for (const auto& f : files) models.push_back(load_model(f, std::nullopt, &interrupt_token()));
  std::string ref_name;
  const Model* ref_model = nullptr;
  for (size_t i = 0; i < files.size(); ++i)
    if (!ref.empty() && absolute_path(files[i]) == absolute_path(ref)) {
      ref_name = names[i];
      ref_model = &models[i];
    }
  for (size_t i = 0; i < files.size(); ++i)
    if (ref_model) check_compatible(*ref_model->arch, ref, *models[i].arch, files[i]);

  SpectraResult r;
  r.aligned_to = ref_name;
  r.top_k = top_k;
  for (size_t i = 0; i < files.size(); ++i) {
    interrupt_token().check();
    try {
      r.models.push_back(model_spectra(models[i], names[i]));
    } catch (const InputError& e) {
      throw InputError(files[i] + ": " + std::string(e.what()).substr(names[i].size() + 2));
    }
  }
  if (ref_model)
    for (size_t i = 0; i < files.size(); ++i) {
      if (&models[i] == ref_model) continue;
      interrupt_token().check();
      r.alignments.push_back(
          spectra_alignment(*ref_model, ref_name, models[i], names[i], top_k, default_gammas()));
    }
  r.seconds = wall_seconds();
  if (json_out) {
    nlohmann::json j = nlohmann::json::parse(spectra_to_json(r, -1));
    ProvenanceFacts pf;
    pf.models = files;
    j["provenance"] = provenance_json(a, pf);
    std::printf("%s\n", j.dump().c_str());
  } else if (!quiet) {
    for (const auto& m : r.models) print_model(m);
    for (const auto& al : r.alignments) print_alignment(al);
  }
  return 0;
}

}  // namespace ridgeline::cli
