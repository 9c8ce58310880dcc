// A spectra step's figure ("spectra:<id>", --layer NAME; docs/USER_GUIDE.md, "Spectra"): the
// layer's singular values with the models overlaid (a permuted copy π(B) dashed over B's solid
// line: the same values), R(γ) of every model against the reference with the paper's γ = 0.3,
// and the top-k overlap |U_Aᵀ U_B| of the layer before (B) and after (π(B)) alignment on one
// colour scale [0, 1]. Read from the SpectraResult and the run's align steps; no analysis.
#include <algorithm>
#include <cmath>

#include "figures/figure_views.h"
#include "figures/spectra_copies.h"
#include "ridgeline/core/errors.h"
#include "widgets/spectra/spectra_data.h"

namespace ridgeline::figures {

namespace {

using widgets::PermutedCopy;
using widgets::sig4;

std::vector<std::pair<std::string, const SpectraResult*>> spectra(const FigureInput& in) {
  std::vector<std::pair<std::string, const SpectraResult*>> out;
  if (!in.run) return out;
  for (const StepResult& r : in.run->results)
    if (const auto* s = r.as<SpectraResult>()) out.emplace_back(r.id, s);
  return out;
}

std::string layer_list(const SpectraResult& r) {
  std::string s;
  for (const std::string& l : widgets::layer_names(r)) s += (s.empty() ? "" : ", ") + l;
  return s;
}

// The overlap matrix as a colour-mapped grid of k×k cells. Field draws values at nodes,
// bilinear between them: each cell gets two nodes 0.499 either side of its centre holding
// its value, so cells read as flat squares (the blend between neighbours is 0.2% of a cell).
figure::Field overlap_field(const LayerAlignment& l, const std::string& label, const std::string& source) {
  figure::Field f;
  const int k = l.k;
  for (int c = 0; c < k; ++c)
    for (double d : {-0.499, 0.499}) f.xs.push_back(c + 1 + d);
  f.ys = f.xs;
  const size_t n = f.xs.size();
  f.z.assign(n * n, NAN);
  for (size_t iy = 0; iy < n; ++iy)
    for (size_t ix = 0; ix < n; ++ix) f.z[iy * n + ix] = l.u_overlap[(iy / 2) * static_cast<size_t>(k) + ix / 2];
  f.min = 0;
  f.max = 1;
  f.label = label;
  f.source = source;
  return f;
}

figure::Panel heatmap_panel(const LayerAlignment& l, const std::string& a, const std::string& b,
                            const std::string& heading, const std::string& source) {
  figure::Panel p;
  p.field = overlap_field(l, "|U_A\u1d40 U_B|", source);
  p.x.title = "j: " + b + (heading.empty() ? "" : " (" + heading + ")");
  p.y.title = "i (" + a + ")";
  p.x.min = p.y.min = 0.5;
  p.x.max = p.y.max = l.k + 0.5;
  p.x.integer = p.y.integer = true;
  p.equal_aspect = true;
  return p;
}

figure::Figure spectra_figure(const FigureInput& in, const std::string& view) {
  const std::string id = view.substr(std::string("spectra:").size());
  const SpectraResult* r = nullptr;
  for (const auto& [step, s] : spectra(in))
    if (step == id) r = s;
  if (!r) throw InputError("--view " + view + ": no spectra step '" + id + "'");
  const std::vector<std::string> layers = widgets::layer_names(*r);
  if (layers.empty()) throw InputError("--view " + view + ": the step has no weight matrices");
  std::string layer = in.layer.empty() ? layers.front() : in.layer;
  if (std::find(layers.begin(), layers.end(), layer) == layers.end())
    throw InputError("--layer " + echo_input(layer) + ": no such weight matrix in spectra step '" + id +
                     "' (layers: " + layer_list(*r) + ")");
  const std::vector<PermutedCopy> copies = permuted_copies(in.spec);
  const std::string src = "results/" + id + ".json";
  figure::Figure fig;

  // (a) Singular values, log–log; copies last, dashed over their original's solid line.
  figure::Panel sv;
  sv.x.title = "index i";
  sv.y.title = "singular value \u03c3\u1d62";
  sv.x.log = sv.y.log = true;
  // Drawn in three layers: a model that has a permuted copy (wide), the others, then the
  // copies (dashed), so that every line stays visible where spectra nearly coincide.
  auto has_copy_of = [&](const std::string& model) {
    for (const PermutedCopy& c : copies)
      if (c.of == model && widgets::find_model(*r, c.model)) return true;
    return false;
  };
  std::vector<figure::LegendEntry> legend(r->models.size());
  for (int pass = 0; pass < 3; ++pass)
    for (size_t k = 0; k < r->models.size(); ++k) {
      const ModelSpectra& m = r->models[k];
      const PermutedCopy* cp = widgets::copy_of(copies, m.model);
      const bool is_copy = cp && widgets::find_model(*r, cp->of);
      if (pass != (is_copy ? 2 : has_copy_of(m.model) ? 0 : 1)) continue;
      const MatrixSpectrum* l = widgets::find_layer(m, layer);
      if (!l) continue;
      if (sv.note.empty()) sv.note = layer + " (" + std::to_string(l->rows) + "\u00d7" + std::to_string(l->cols) + ")";
      figure::Series s;
      s.source = src + " models[" + m.model + "]." + layer + ".singular_values";
      for (size_t i = 0; i < l->singular_values.size(); ++i)
        if (l->singular_values[i] > 0) {
          s.x.push_back(double(i + 1));
          s.y.push_back(l->singular_values[i]);
        }
      s.style.color = figure::palette(k);
      s.label = m.model;
      if (is_copy) {
        s.label = m.model + " = \u03c0(" + cp->of + "): same \u03c3 (dashed)";
        s.style.line = figure::LineStyle::Dashed;
        s.style.width = 1.4;
      } else {
        s.style.width = has_copy_of(m.model) ? 3.0 : 1.0;
      }
      sv.series.push_back(s);
      legend[k] = {s.label, s.style};
    }
  for (const auto& e : legend)  // in the models' order, whatever the drawing order
    if (!e.label.empty()) fig.legend.push_back(e);
  fig.panels.push_back(sv);

  if (r->alignments.empty()) return fig;

  // (b) R(γ): before dashed with squares, after solid with circles, one colour per B.
  figure::Panel rg;
  rg.x.title = "\u03b3";
  rg.y.title = "R(\u03b3) against " + r->aligned_to;
  rg.x.min = 0;
  rg.x.max = 1;
  double lo = 0, hi = 1;
  for (const SpectraAlignment& al : r->alignments)
    for (double v : al.r)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  rg.y.min = lo < -0.02 ? lo - 0.05 : -0.05;
  rg.y.max = hi + 0.05;
  figure::Series paper;
  paper.label = "\u03b3 = 0.3 (Ito et al.)";
  paper.source = "the paper's threshold";
  paper.x = {0.3, 0.3};
  paper.y = {rg.y.min, rg.y.max};
  paper.style = {figure::grey(), figure::LineStyle::Dotted, figure::Marker::None, false, 1.0};
  rg.series.push_back(paper);
  fig.legend.push_back({paper.label, paper.style});
  for (const SpectraAlignment& al : r->alignments) {
    const PermutedCopy* cp = widgets::copy_of(copies, al.b);
    const std::string base = cp && widgets::find_model(*r, cp->of) ? cp->of : al.b;
    size_t colour = 0;
    for (size_t k = 0; k < r->models.size(); ++k)
      if (r->models[k].model == base) colour = k;
    bool has_copy = false;
    for (const PermutedCopy& c : copies) has_copy |= c.of == al.b && widgets::find_alignment(*r, c.model);
    figure::Series s;
    s.source = src + " alignments[" + al.b + "].r";
    s.x = al.gammas;
    s.y = al.r;
    s.x.resize(std::min(s.x.size(), s.y.size()));  // a hand-edited file may disagree
    s.y.resize(s.x.size());
    s.style = {figure::palette(colour), figure::LineStyle::Solid, figure::Marker::Circle, false, 1.3};
    s.label = "R: " + al.b;
    if (base != al.b) s.label = "R: " + al.b + " (after)";
    if (has_copy) {
      s.label = "R: " + al.b + " (before)";
      s.style.line = figure::LineStyle::Dashed;
      s.style.marker = figure::Marker::Square;
    }
    rg.series.push_back(s);
    fig.legend.push_back({s.label, s.style});
  }
  fig.panels.push_back(rg);

  // (c) The overlap heatmaps of the first pair (B, π(B)); without a pair, of the first model.
  const SpectraAlignment* before = nullptr;
  const SpectraAlignment* after = nullptr;
  for (const SpectraAlignment& al : r->alignments)
    if (const PermutedCopy* cp = widgets::copy_of(copies, al.b))
      if (const SpectraAlignment* b = widgets::find_alignment(*r, cp->of); b && !before) {
        before = b;
        after = &al;
      }
  if (!before) before = &r->alignments.front();
  for (const SpectraAlignment* al : {before, after}) {
    if (!al) continue;
    const LayerAlignment* l = widgets::find_layer(*al, layer);
    if (!l || l->k <= 0 || l->u_overlap.size() != static_cast<size_t>(l->k) * l->k) continue;
    // Said under the matrix, where the eye is (the legend says which model is π of which).
    const std::string heading = al == after ? "after" : after ? "before" : "";
    fig.panels.push_back(heatmap_panel(*l, r->aligned_to, al->b, heading,
                                       src + " alignments[" + al->b + "]." + layer + ".u_overlap"));
  }
  return fig;
}

// The ESD of one model's layer (the reference's, or the first model's): the histogram of
// λ = σ² on log–log axes as a step line, the fitted power-law tail from x_min with its α, and
// the Marchenko–Pastur bulk edge; "fit failed: <reason>" when there is no fit.
figure::Figure esd_figure(const FigureInput& in, const std::string& view) {
  const std::string id = view.substr(std::string("esd:").size());
  const SpectraResult* r = nullptr;
  for (const auto& [step, s] : spectra(in))
    if (step == id) r = s;
  if (!r) throw InputError("--view " + view + ": no spectra step '" + id + "'");
  const std::vector<std::string> layers = widgets::layer_names(*r);
  if (layers.empty()) throw InputError("--view " + view + ": the step has no weight matrices");
  const std::string layer = in.layer.empty() ? layers.front() : in.layer;
  if (std::find(layers.begin(), layers.end(), layer) == layers.end())
    throw InputError("--layer " + echo_input(layer) + ": no such weight matrix in spectra step '" + id +
                     "' (layers: " + layer_list(*r) + ")");
  const ModelSpectra* m = widgets::find_model(*r, r->aligned_to);
  if (!m) m = &r->models.front();
  const MatrixSpectrum* l = widgets::find_layer(*m, layer);
  if (!l) throw InputError("--view " + view + ": model " + m->model + " has no layer " + layer);
  const widgets::EsdHistogram h = widgets::esd_histogram(l->singular_values);
  if (h.lambdas.empty()) throw InputError("--view " + view + ": " + layer + " has no positive eigenvalue");
  const std::string src = "results/" + id + ".json models[" + m->model + "]." + layer;
  figure::Figure fig;
  fig.view = view;
  figure::Panel p;
  p.x.title = "eigenvalue λ = σ² of WᵀW";
  p.y.title = "density";
  p.x.log = p.y.log = true;
  p.note = m->model + " " + layer + " (" + std::to_string(l->rows) + "×" + std::to_string(l->cols) + ")";
  // The histogram as a step line over the bins with a positive density (a log axis has no 0).
  figure::Series hist;
  hist.label = "ESD (" + std::to_string(h.lambdas.size()) + " eigenvalues)";
  hist.source = src + ".singular_values squared, log-spaced bins";
  hist.style = {figure::palette(0), figure::LineStyle::Solid, figure::Marker::None, false, 1.2};
  double ylo = INFINITY, yhi = 0;
  for (size_t b = 0; b < h.density.size(); ++b) {
    if (!(h.density[b] > 0)) {
      if (!hist.x.empty()) {  // a gap: end the step here
        hist.x.push_back(NAN);
        hist.y.push_back(NAN);
      }
      continue;
    }
    hist.x.push_back(h.edges[b]);
    hist.y.push_back(h.density[b]);
    hist.x.push_back(h.edges[b + 1]);
    hist.y.push_back(h.density[b]);
    ylo = std::min(ylo, h.density[b]);
    yhi = std::max(yhi, h.density[b]);
  }
  p.series.push_back(hist);
  fig.legend.push_back({hist.label, hist.style});
  const double xhi = h.edges.back();
  if (l->fit.ok) {
    figure::Series tail;
    tail.label = "power law α = " + sig4(l->fit.alpha) + " ± " + sig4(l->fit.alpha_se) +
                 " (tail " + std::to_string(l->fit.tail) + ", KS D " + sig4(l->fit.ks_distance) + ")";
    tail.source = src + ".power_law";
    tail.style = {figure::palette(1), figure::LineStyle::Solid, figure::Marker::None, false, 1.6};
    for (double x : {l->fit.xmin, xhi}) {
      tail.x.push_back(x);
      tail.y.push_back(widgets::power_law_density(l->fit, x));
    }
    p.series.push_back(tail);
    fig.legend.push_back({tail.label, tail.style});
  } else {
    p.note += ": fit failed: " + l->fit.failure;
  }
  if (std::isfinite(l->mp_edge) && l->mp_edge > 0 && std::isfinite(ylo)) {
    figure::Series mp;
    mp.label = "Marchenko–Pastur edge λ₊ (" + std::to_string(l->mp_spikes) + " spikes above)";
    mp.source = src + ".mp_edge";
    mp.style = {figure::grey(), figure::LineStyle::Dashed, figure::Marker::None, false, 1.0};
    mp.x = {l->mp_edge, l->mp_edge};
    mp.y = {ylo, yhi};
    p.series.push_back(mp);
    fig.legend.push_back({mp.label, mp.style});
  }
  fig.panels.push_back(p);
  return fig;
}

}  // namespace

FigureView esd_figure_view() {
  return {"esd:",
          "spectra",
          "esd:<step id>: the ESD of one layer (--layer; default the first) of a spectra step's "
          "reference (or first) model, with the fitted power-law tail and the Marchenko–Pastur edge",
          "a spectra step",
          [](const FigureInput& in) {
            std::vector<std::string> names;
            for (const auto& [id, r] : spectra(in)) names.push_back("esd:" + id);
            return names;
          },
          esd_figure};
}

FigureView spectra_figure_view() {
  return {"spectra:",
          "spectra",
          "spectra:<step id>: a spectra step's singular values of one layer (--layer; default the "
          "first) with the models overlaid, R(γ) with γ = 0.3 marked, and the top-k overlap "
          "|U_Aᵀ U_B| before and after alignment on one colour scale",
          "a spectra step",
          [](const FigureInput& in) {
            std::vector<std::string> names;
            for (const auto& [id, r] : spectra(in)) names.push_back("spectra:" + id);
            return names;
          },
          spectra_figure};
}

}  // namespace ridgeline::figures
