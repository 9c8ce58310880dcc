// What the spectra views share (spectra_data.h): lookups, the ESD's display binning, the table.
#include "widgets/spectra/spectra_data.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ridgeline/core/format.h"

namespace ridgeline::widgets {

const MatrixSpectrum* find_layer(const ModelSpectra& m, const std::string& name) {
  for (const auto& l : m.layers)
    if (l.name == name) return &l;
  return nullptr;
}

const ModelSpectra* find_model(const SpectraResult& r, const std::string& model) {
  for (const auto& m : r.models)
    if (m.model == model) return &m;
  return nullptr;
}

const SpectraAlignment* find_alignment(const SpectraResult& r, const std::string& b) {
  for (const auto& a : r.alignments)
    if (a.b == b) return &a;
  return nullptr;
}

const LayerAlignment* find_layer(const SpectraAlignment& a, const std::string& name) {
  for (const auto& l : a.layers)
    if (l.name == name) return &l;
  return nullptr;
}

const PermutedCopy* copy_of(const std::vector<PermutedCopy>& copies, const std::string& model) {
  for (const auto& c : copies)
    if (c.model == model) return &c;
  return nullptr;
}

std::vector<std::string> layer_names(const SpectraResult& r) {
  std::vector<std::string> out;
  if (!r.models.empty())
    for (const auto& l : r.models.front().layers) out.push_back(l.name);
  return out;
}

double max_relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || a.size() != b.size()) return NAN;
  double top = 0, diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    top = std::max({top, std::abs(a[i]), std::abs(b[i])});
    diff = std::max(diff, std::abs(a[i] - b[i]));
  }
  return top > 0 ? diff / top : 0.0;
}

double layer_r(const SpectraAlignment& al, const LayerAlignment& l, double gamma) {
  for (size_t i = 0; i < al.gammas.size() && i < l.r_sum.size() && i < l.r_count.size(); ++i)
    if (std::abs(al.gammas[i] - gamma) < 1e-9 && l.r_count[i] > 0) return l.r_sum[i] / l.r_count[i];
  return NAN;
}

EsdHistogram esd_histogram(const std::vector<double>& singular_values, int bins) {
  EsdHistogram h;
  for (double s : singular_values) {
    const double l = s * s;
    if (l > 0 && std::isfinite(l))
      h.lambdas.push_back(l);
    else
      ++h.zeros;
  }
  std::sort(h.lambdas.begin(), h.lambdas.end());
  const size_t n = h.lambdas.size();
  if (n == 0) return h;
  if (bins <= 0) bins = std::clamp(static_cast<int>(std::lround(2 * std::sqrt(double(n)))), 8, 60);
  double lo = std::log10(h.lambdas.front()), hi = std::log10(h.lambdas.back());
  if (hi - lo < 1e-9) {  // all equal: one decade around them
    lo -= 0.5;
    hi += 0.5;
  }
  const double pad = (hi - lo) * 1e-9;
  lo -= pad;
  hi += pad;
  for (int b = 0; b <= bins; ++b) h.edges.push_back(std::pow(10.0, lo + (hi - lo) * b / bins));
  std::vector<int> count(static_cast<size_t>(bins), 0);
  for (double l : h.lambdas) {
    int b = static_cast<int>((std::log10(l) - lo) / (hi - lo) * bins);
    ++count[static_cast<size_t>(std::clamp(b, 0, bins - 1))];
  }
  for (int b = 0; b < bins; ++b)
    h.density.push_back(count[static_cast<size_t>(b)] /
                        (double(n) * (h.edges[static_cast<size_t>(b) + 1] - h.edges[static_cast<size_t>(b)])));
  return h;
}

double power_law_density(const PowerLawFit& fit, double lambda) {
  if (!fit.ok || fit.n <= 0 || !(fit.xmin > 0) || lambda < fit.xmin) return NAN;
  return (double(fit.tail) / fit.n) * (fit.alpha - 1) / fit.xmin * std::pow(lambda / fit.xmin, -fit.alpha);
}

std::vector<SpectraRow> spectra_rows(const SpectraResult& r) {
  std::vector<SpectraRow> rows;
  for (const std::string& layer : layer_names(r))
    for (const ModelSpectra& m : r.models) {
      SpectraRow row;
      row.layer = layer;
      row.model = m.model;
      row.spectrum = find_layer(m, layer);
      if (!row.spectrum) continue;
      if (m.model != r.aligned_to)
        if ((row.pair = find_alignment(r, m.model))) row.alignment = find_layer(*row.pair, layer);
      rows.push_back(row);
    }
  return rows;
}

std::string sig4(double x) { return std::isfinite(x) ? format_loss(x) : "—"; }

std::vector<std::string> spectra_columns() {
  return {"layer", "model", "shape", "σ_max", "stable rank", "entropy rank", "numerical rank",
          "α ± se (tail)", "x_min", "KS D", "MP spikes", "R_ℓ(γ=0)", "R_ℓ(γ=0.3)", "top-k share"};
}

std::vector<std::string> spectra_cells(const SpectraRow& row) {
  const MatrixSpectrum& s = *row.spectrum;
  std::vector<std::string> c = {row.layer, row.model,
                                std::to_string(s.rows) + "×" + std::to_string(s.cols),
                                sig4(s.spectral_norm), sig4(s.stable_rank), sig4(s.entropy_rank),
                                std::to_string(s.numerical_rank)};
  if (s.fit.ok) {
    c.push_back(sig4(s.fit.alpha) + " ± " + sig4(s.fit.alpha_se) + " (" + std::to_string(s.fit.tail) + ")");
    c.push_back(sig4(s.fit.xmin));
    c.push_back(sig4(s.fit.ks_distance));
  } else {
    c.push_back("fit failed: " + s.fit.failure);
    c.push_back("—");
    c.push_back("—");
  }
  c.push_back(std::to_string(s.mp_spikes));
  if (row.alignment && row.pair) {
    c.push_back(format_alignment_score(layer_r(*row.pair, *row.alignment, 0.0)));
    c.push_back(format_alignment_score(layer_r(*row.pair, *row.alignment, 0.3)));
    c.push_back(std::isfinite(row.alignment->top_k_share) ? format_error(row.alignment->top_k_share) : "—");
  } else {
    for (int i = 0; i < 3; ++i) c.push_back("—");
  }
  return c;
}

namespace {
std::string num(double x) {
  if (!std::isfinite(x)) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}
std::string quoted(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}
}  // namespace

std::string spectra_csv(const SpectraResult& r) {
  std::string out =
      "layer,model,rows,cols,spectral_norm,frobenius_sq,stable_rank,entropy_rank,numerical_rank,"
      "power_law_ok,alpha,alpha_se,xmin,ks_distance,tail,n,power_law_failure,mp_sigma2,mp_edge,"
      "mp_spikes,aligned_to,r_layer_gamma0,r_layer_gamma0_3,inner_product,inner_top_k,top_k_share\n";
  for (const SpectraRow& row : spectra_rows(r)) {
    const MatrixSpectrum& s = *row.spectrum;
    const PowerLawFit& f = s.fit;
    out += quoted(row.layer) + "," + quoted(row.model) + "," + std::to_string(s.rows) + "," +
           std::to_string(s.cols) + "," + num(s.spectral_norm) + "," + num(s.frobenius_sq) + "," +
           num(s.stable_rank) + "," + num(s.entropy_rank) + "," + std::to_string(s.numerical_rank) + "," +
           (f.ok ? "1" : "0") + "," + (f.ok ? num(f.alpha) : "") + "," + (f.ok ? num(f.alpha_se) : "") + "," +
           (f.ok ? num(f.xmin) : "") + "," + (f.ok ? num(f.ks_distance) : "") + "," +
           (f.ok ? std::to_string(f.tail) : "") + "," + std::to_string(f.n) + "," +
           quoted(f.ok ? "" : f.failure) + "," + num(s.mp_sigma2) + "," + num(s.mp_edge) + "," +
           std::to_string(s.mp_spikes) + ",";
    if (row.alignment && row.pair)
      out += quoted(row.pair->a) + "," + num(layer_r(*row.pair, *row.alignment, 0.0)) + "," +
             num(layer_r(*row.pair, *row.alignment, 0.3)) + "," + num(row.alignment->inner_product) +
             "," + num(row.alignment->inner_top_k) + "," + num(row.alignment->top_k_share) + "\n";
    else
      out += ",,,,,\n";
  }
  return out;
}

}  // namespace ridgeline::widgets
