// The table of view names and their figure builders (figure_views.h).
#include "figures/figure_views.h"

#include "ridgeline/core/errors.h"

namespace ridgeline::figures {

namespace {
// A study folder is drawn only by the "study" view, a run folder by every other.
bool for_input(const FigureView& v, const FigureInput& in) {
  return (v.type == "study") == (in.study != nullptr) && (in.study || in.run);
}
}  // namespace

const std::vector<FigureView>& figure_views() {
  // Adding a step kind's figure: one entry here (and its <kind>_figure.cpp).
  static const std::vector<FigureView> views = {training_figure_view(), alignment_figure_view(),
                                                path_figure_view(), all_paths_figure_view(),
                                                compare_figure_view(), landscape_figure_view(),
                                                layerwise_figure_view(), spectra_figure_view(), esd_figure_view(),
                                                hessian_figure_view(), hessian_layers_figure_view(),
                                                attention_figure_view(),
                                                study_figure_view()};
  return views;
}

std::vector<std::string> available_views(const FigureInput& in) {
  std::vector<std::string> out;
  for (const FigureView& v : figure_views())
    if (for_input(v, in))
      for (const std::string& n : v.names(in)) out.push_back(n);
  return out;
}

figure::Figure build_figure(const FigureInput& in, const std::string& view) {
  for (const FigureView& v : figure_views())
    if (for_input(v, in))
      for (const std::string& n : v.names(in))
      if (n == view) {
        figure::Figure f = v.build(in, view);
        f.view = view;
        return f;
      }
  std::string list;
  for (const std::string& n : available_views(in)) list += (list.empty() ? "" : ", ") + n;
  std::string why = "unknown view";
  for (const FigureView& v : figure_views())
    if (v.name == view || (v.name.back() == ':' && view.rfind(v.name, 0) == 0))
      why = "needs " + v.needs;
  for (const std::string& n : available_views(in))  // "attention:a:layer=7" of "attention:a"
    if (view.rfind(n + ":", 0) == 0) why = "'" + view.substr(n.size() + 1) + "' is not one of its options";
  throw InputError("--view " + echo_input(view) + ": " + why + "; this " + std::string(in.study ? "study" : "run") + " can draw: " +
                   (list.empty() ? "nothing (no results yet)" : list));
}

}  // namespace ridgeline::figures
