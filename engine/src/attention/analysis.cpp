// The attention analysis of a transformer (analysis.h).
#include "ridgeline/attention/analysis.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "io/json_number.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/io/npy.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/train/evaluate.h"

namespace ridgeline {

namespace {

using attention::MatrixF;

std::vector<double> widen(const MatrixF& m) { return {m.data.begin(), m.data.end()}; }

std::vector<std::string> token_labels(const TransformerArch& a, const float* x) {
  std::vector<std::string> out;
  if (!a.is_image()) {
    for (int t = 0; t < a.seq; ++t) out.push_back(std::to_string(static_cast<int>(x[t])));
    return out;
  }
  if (a.cls_token) out.push_back("cls");
  const int gw = a.image_w / a.patch, gh = a.image_h / a.patch;
  for (int r = 0; r < gh; ++r)
    for (int c = 0; c < gw; ++c) out.push_back("(" + std::to_string(r) + "," + std::to_string(c) + ")");
  return out;
}

}  // namespace

AttentionAnalysis analyse_attention(const Model& model, const Dataset& data,
                                    const AttentionAnalysisOptions& o,
                                    const std::function<void(const Progress&)>& progress,
                                    const CancelToken* cancel) {
  const auto t0 = std::chrono::steady_clock::now();
  const TransformerArch* arch = model.arch ? as_transformer_arch(*model.arch) : nullptr;
  if (!arch)
    throw InputError("attention analysis: " +
                     (model.arch ? model.arch->to_string() : std::string("the model")) +
                     " is not a transformer (attention maps need a transformer model)");
  model.arch->check_fits(data, "attention analysis: model");
  if (o.examples < 1) throw InputError("attention analysis: examples must be >= 1");
  if (o.show < 0) throw InputError("attention analysis: show must be >= 0");
  if (data.n < 1) throw InputError("attention analysis: " + data.name + " holds no examples");
  AttentionAnalysis r;
  r.arch = arch->to_string();
  r.variant = arch->attention;
  r.data = data.name;
  r.layers = arch->layers;
  r.heads = arch->heads;
  r.tokens = arch->tokens();
  r.causal = arch->causal;
  if (arch->is_image()) {
    r.grid_h = arch->image_h / arch->patch;
    r.grid_w = arch->image_w / arch->patch;
    r.class_token = arch->cls_token;
    r.image_h = arch->image_h;
    r.image_w = arch->image_w;
  }
  r.examples = std::min(o.examples, data.n);
  const int show = std::min(o.show, r.examples);
  const int N = r.tokens, LH = r.layers * r.heads, dh = arch->head_dim();
  MapMetricsOptions mo;
  mo.causal = arch->causal;
  mo.radii = o.radii;
  mo.grid_h = r.grid_h;
  mo.grid_w = r.grid_w;
  mo.class_token = r.class_token;
  mo.rank_eps = std::numeric_limits<float>::epsilon();  // the maps are computed in float32
  const auto softmax = attention::make_variant("softmax", dh);
  const bool fidelity = arch->attention != "softmax";
  const bool rows_sum_to_one = attention::make_variant(arch->attention, dh, {})->rows_sum_to_one();
  std::vector<std::vector<MapMetrics>> per(LH);
  std::vector<std::vector<MatrixF>> qs(LH), ks(LH);
  std::vector<int64_t> distinct(LH, 0), collisions(LH, 0);
  const int total = r.examples + (o.evaluate ? 1 : 0);
  const int batch = 32;
  for (int start = 0; start < r.examples; start += batch) {
    if (cancel) cancel->check();
    const int rows = std::min(batch, r.examples - start);
    const std::vector<float> x(data.x.begin() + static_cast<size_t>(start) * data.dim,
                               data.x.begin() + static_cast<size_t>(start + rows) * data.dim);
    const std::vector<AttentionCapture> caps = capture_attention(model, x, rows);
    for (int i = 0; i < rows; ++i) {
      const AttentionCapture& c = caps[i];
      const std::vector<MatrixF> maps = attention_maps(model, c);
      const int example = start + i;
      if (example < show) {
        r.shown.push_back(example);
        r.token_labels.push_back(token_labels(*arch, x.data() + static_cast<size_t>(i) * data.dim));
        for (const MatrixF& m : maps) r.maps.insert(r.maps.end(), m.data.begin(), m.data.end());
        if (arch->is_image())
          r.inputs.insert(r.inputs.end(), x.begin() + static_cast<size_t>(i) * data.dim,
                          x.begin() + static_cast<size_t>(i + 1) * data.dim);
      }
      for (int k = 0; k < LH; ++k) {
        const std::vector<double> a = widen(maps[k]), q = widen(c.q[k]), kk = widen(c.k[k]);
        std::vector<double> ref;
        if (fidelity) ref = widen(softmax->materialise(c.q[k], c.k[k], arch->causal));
        MapMetrics mm = map_metrics(a, N, mo, &q, &kk, dh, fidelity ? &ref : nullptr);
        if (!rows_sum_to_one) {
          // Rows that are not distributions (TransNormer's map has no denominator): their
          // entropy and their KL from softmax rows are not defined.
          const double nan = std::numeric_limits<double>::quiet_NaN();
          mm.entropy = mm.normalised_entropy = mm.kl = mm.cross_entropy = nan;
        }
        per[k].push_back(std::move(mm));
        const CollisionRate cr = collision_rate(a, N, q, dh, 1e-6, kCollisionTv, false);
        distinct[k] += cr.distinct_pairs;
        collisions[k] += cr.collisions;
        qs[k].push_back(c.q[k]);
        ks[k].push_back(c.k[k]);
      }
    }
    if (progress)
      progress({"attention maps", start + rows, total,
                std::to_string(start + rows) + " of " + std::to_string(r.examples) + " inputs"});
  }
  std::vector<MapMetrics> all;
  const double nan_rate = std::numeric_limits<double>::quiet_NaN();
  int64_t all_distinct = 0, all_collisions = 0;
  for (int k = 0; k < LH; ++k) {
    HeadMetrics h;
    h.layer = k / r.heads;
    h.head = k % r.heads;
    h.metrics = mean_metrics(per[k]);
    h.collision_rate = distinct[k] > 0 ? double(collisions[k]) / distinct[k] : nan_rate;
    all_distinct += distinct[k];
    all_collisions += collisions[k];
    r.per_head.push_back(h);
    all.insert(all.end(), per[k].begin(), per[k].end());
  }
  r.overall = mean_metrics(all);
  r.collision_rate = all_distinct > 0 ? double(all_collisions) / all_distinct : nan_rate;
  for (int k = 0; k < LH; ++k) r.embeddings.push_back(attention::qk_embedding(qs[k], ks[k]));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  r.loss = r.accuracy = nan;
  if (o.evaluate) {
    auto be = make_backend("cpu", host_threads());  // the caller's thread count, not all cores
    const LossError e = evaluate(*be, model, data, 256, cancel);
    r.loss = e.loss;
    r.accuracy = 1.0 - e.error;
    if (progress) progress({"evaluation", total, total, data.name});
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

MapMetrics metrics_from_json(const json& j, const std::string& what) {
  using namespace json_number;
  MapMetrics m;
  m.n = int_of(j.at("n"), what + ".n", 0);
  m.maps = int_of(j.at("maps"), what + ".maps", 0);
  m.entropy = finite_or_null(j.at("entropy"), what + ".entropy");
  m.normalised_entropy = finite_or_null(j.at("normalised_entropy"), what + ".normalised_entropy");
  m.negative_mass = finite_or_null(j.at("negative_mass"), what + ".negative_mass");
  m.monotonicity = finite_or_null(j.at("monotonicity"), what + ".monotonicity");
  m.numerical_rank = finite_or_null(j.at("numerical_rank"), what + ".numerical_rank");
  m.effective_rank = finite_or_null(j.at("effective_rank"), what + ".effective_rank");
  m.stable_rank = finite_or_null(j.at("stable_rank"), what + ".stable_rank");
  const json& sv = j.at("singular_values");
  if (!sv.is_array()) throw std::runtime_error(what + ".singular_values is not an array");
  for (const auto& v : sv) m.singular_values.push_back(finite_or_null(v, what + ".singular_values"));
  const json& loc = j.at("locality");
  const json& radii = loc.at("radii");
  const json& mass = loc.at("mass");
  if (!radii.is_array() || !mass.is_array() || radii.size() != mass.size())
    throw std::runtime_error(what + ".locality radii and mass differ");
  for (const auto& v : radii) m.radii.push_back(int_of(v, what + ".locality.radii", 0));
  for (const auto& v : mass) m.locality.push_back(finite_or_null(v, what + ".locality.mass"));
  m.locality_grid = finite_or_null(j.at("locality_grid"), what + ".locality_grid");
  const json& dil = j.at("dilution");
  const json& dr = dil.at("r");
  const json& dl = dil.at("l");
  if (!dr.is_array() || !dl.is_array() || dr.size() != dl.size())
    throw std::runtime_error(what + ".dilution r and l differ");
  for (const auto& v : dr) m.dilution_radii.push_back(finite_or_null(v, what + ".dilution.r"));
  for (const auto& v : dl) m.dilution.push_back(finite_or_null(v, what + ".dilution.l"));
  m.kl = finite_or_null(j.at("kl"), what + ".kl");
  m.cross_entropy = finite_or_null(j.at("cross_entropy"), what + ".cross_entropy");
  return m;
}

}  // namespace

std::string attention_analysis_json(const AttentionAnalysis& a, int indent) {
  using json_number::or_null;
  ordered_json j;
  j["kind"] = "attention";
  j["arch"] = a.arch;
  j["variant"] = a.variant;
  j["data"] = a.data;
  j["layers"] = a.layers;
  j["heads"] = a.heads;
  j["tokens"] = a.tokens;
  j["causal"] = a.causal;
  j["grid"] = {a.grid_h, a.grid_w};
  j["class_token"] = a.class_token;
  j["image"] = {a.image_h, a.image_w};
  j["examples"] = a.examples;
  j["loss"] = or_null(a.loss);
  j["accuracy"] = or_null(a.accuracy);
  j["seconds"] = or_null(a.seconds);
  j["overall"] = ordered_json::parse(map_metrics_json(a.overall));
  j["collision_rate"] = or_null(a.collision_rate);
  ordered_json heads = ordered_json::array();
  for (const HeadMetrics& h : a.per_head)
    heads.push_back({{"layer", h.layer},
                     {"head", h.head},
                     {"metrics", ordered_json::parse(map_metrics_json(h.metrics))},
                     {"collision_rate", or_null(h.collision_rate)}});
  j["per_head"] = std::move(heads);
  ordered_json emb = ordered_json::array();
  for (const attention::QkEmbedding& e : a.embeddings)
    emb.push_back({{"dim", e.dim},
                   {"queries", e.num_queries},
                   {"keys", e.num_keys},
                   {"explained", {or_null(e.explained[0]), or_null(e.explained[1])}},
                   {"normalised", e.normalisation.applied},
                   {"query_scale", or_null(e.normalisation.query_scale)}});
  j["qk_embeddings"] = std::move(emb);
  j["shown"] = a.shown;
  j["token_labels"] = a.token_labels;
  return j.dump(indent);
}

AttentionAnalysis attention_analysis_from_json(const std::string& text, const std::string& path) {
  using namespace json_number;
  AttentionAnalysis a;
  try {
    const json j = json::parse(text);
    if (!j.is_object() || j.value("kind", "") != "attention")
      throw std::runtime_error("not an attention analysis (kind must be \"attention\")");
    a.arch = j.at("arch").get<std::string>();
    a.variant = j.at("variant").get<std::string>();
    a.data = j.at("data").get<std::string>();
    a.layers = int_of(j.at("layers"), "layers", 1);
    a.heads = int_of(j.at("heads"), "heads", 1);
    a.tokens = int_of(j.at("tokens"), "tokens", 1);
    if (static_cast<int64_t>(a.layers) * a.heads > 65536 || a.tokens > 65536)
      throw std::runtime_error("layers, heads or tokens out of range");
    a.causal = j.at("causal").get<bool>();
    const json& grid = j.at("grid");
    if (!grid.is_array() || grid.size() != 2) throw std::runtime_error("grid is not [h, w]");
    a.grid_h = int_of(grid[0], "grid", 0);
    a.grid_w = int_of(grid[1], "grid", 0);
    a.class_token = j.at("class_token").get<bool>();
    if (j.contains("image")) {
      const json& im = j.at("image");
      if (!im.is_array() || im.size() != 2) throw std::runtime_error("image is not [h, w]");
      a.image_h = int_of(im[0], "image", 0);
      a.image_w = int_of(im[1], "image", 0);
      if (a.image_h > 4096 || a.image_w > 4096) throw std::runtime_error("image is too large");
    }
    a.examples = int_of(j.at("examples"), "examples", 0);
    a.loss = finite_or_null(j.at("loss"), "loss");
    a.accuracy = finite_or_null(j.at("accuracy"), "accuracy");
    a.seconds = finite_or_null(j.at("seconds"), "seconds");
    a.overall = metrics_from_json(j.at("overall"), "overall");
    a.collision_rate = j.contains("collision_rate")
                           ? finite_or_null(j.at("collision_rate"), "collision_rate")
                           : std::numeric_limits<double>::quiet_NaN();
    const json& heads = j.at("per_head");
    if (!heads.is_array() || heads.size() != static_cast<size_t>(a.layers) * a.heads)
      throw std::runtime_error("per_head does not hold layers × heads entries");
    for (size_t i = 0; i < heads.size(); ++i) {
      const std::string w = "per_head[" + std::to_string(i) + "]";
      HeadMetrics h;
      h.layer = int_of(heads[i].at("layer"), w + ".layer", 0);
      h.head = int_of(heads[i].at("head"), w + ".head", 0);
      if (h.layer >= a.layers || h.head >= a.heads) throw std::runtime_error(w + " out of range");
      h.metrics = metrics_from_json(heads[i].at("metrics"), w + ".metrics");
      h.collision_rate = heads[i].contains("collision_rate")
                             ? finite_or_null(heads[i].at("collision_rate"), w + ".collision_rate")
                             : std::numeric_limits<double>::quiet_NaN();
      a.per_head.push_back(std::move(h));
    }
    if (j.contains("qk_embeddings")) {
      const json& emb = j.at("qk_embeddings");
      if (!emb.is_array() || emb.size() != static_cast<size_t>(a.layers) * a.heads)
        throw std::runtime_error("qk_embeddings does not hold layers × heads entries");
      for (const auto& e : emb) {
        attention::QkEmbedding q;
        q.dim = int_of(e.at("dim"), "qk_embeddings.dim", 1);
        q.num_queries = int_of(e.at("queries"), "qk_embeddings.queries", 0);
        q.num_keys = int_of(e.at("keys"), "qk_embeddings.keys", 0);
        if (static_cast<int64_t>(q.num_queries) + q.num_keys > (1 << 26))
          throw std::runtime_error("qk_embeddings: too many points");
        const json& ex = e.at("explained");
        if (!ex.is_array() || ex.size() != 2) throw std::runtime_error("qk_embeddings.explained is not [2]");
        q.explained[0] = finite_or_null(ex[0], "qk_embeddings.explained");
        q.explained[1] = finite_or_null(ex[1], "qk_embeddings.explained");
        q.normalisation.applied = e.at("normalised").get<bool>();
        q.normalisation.query_scale = finite_or_null(e.at("query_scale"), "qk_embeddings.query_scale");
        q.normalisation.key_scale = 1.0 / q.normalisation.query_scale;
        a.embeddings.push_back(std::move(q));
      }
    }
    const json& shown = j.at("shown");
    const json& labels = j.at("token_labels");
    if (!shown.is_array() || !labels.is_array() || shown.size() != labels.size())
      throw std::runtime_error("shown and token_labels differ in length");
    for (const auto& s : shown) a.shown.push_back(int_of(s, "shown", 0));
    for (const auto& l : labels) {
      if (!l.is_array() || l.size() != static_cast<size_t>(a.tokens))
        throw std::runtime_error("token_labels entry does not hold one label per token");
      std::vector<std::string> row;
      for (const auto& s : l) row.push_back(s.get<std::string>());
      a.token_labels.push_back(std::move(row));
    }
  } catch (const json::exception& e) {
    throw InputError(path + ": " + e.what());
  } catch (const std::runtime_error& e) {
    throw InputError(path + ": " + e.what());
  }
  return a;
}

void write_attention_analysis(const AttentionAnalysis& a, const std::string& dir,
                              const std::string& id) {
  const std::filesystem::path d(dir);
  std::filesystem::create_directories(d);
  const int64_t shown = static_cast<int64_t>(a.shown.size());
  write_npy((d / (id + "-maps.npy")).string(), a.maps,
            {shown, a.layers, a.heads, a.tokens, a.tokens});
  if (!a.inputs.empty())
    write_npy((d / (id + "-inputs.npy")).string(), a.inputs,
              {shown, static_cast<int64_t>(a.image_h) * a.image_w});
  if (!a.embeddings.empty()) {
    const int64_t points = a.embeddings.front().size();
    std::vector<float> qk;
    for (const attention::QkEmbedding& e : a.embeddings) {
      if (e.size() != points) throw RunError("attention analysis: embeddings differ in size");
      for (int i = 0; i < e.size(); ++i) {
        qk.push_back(static_cast<float>(e.x[i]));
        qk.push_back(static_cast<float>(e.y[i]));
        qk.push_back(e.is_query[i]);
        qk.push_back(static_cast<float>(e.source[i].input));
        qk.push_back(static_cast<float>(e.source[i].position));
      }
    }
    write_npy((d / (id + "-qk.npy")).string(), qk,
              {static_cast<int64_t>(a.embeddings.size()), points, 5});
  }
  write_file_atomic((d / (id + ".json")).string(), attention_analysis_json(a) + "\n");
}

AttentionAnalysis read_attention_analysis(const std::string& dir, const std::string& id) {
  const std::filesystem::path d(dir);
  const std::string jpath = (d / (id + ".json")).string(), mpath = (d / (id + "-maps.npy")).string();
  AttentionAnalysis a = attention_analysis_from_json(read_file(jpath), jpath);
  const NpyArray m = read_npy(mpath);
  const std::vector<int64_t> want = {static_cast<int64_t>(a.shown.size()), a.layers, a.heads,
                                     a.tokens, a.tokens};
  if (m.shape != want)
    throw InputError(mpath + ": shape does not match " + jpath + " (shown × layers × heads × N × N)");
  a.maps.assign(m.values.begin(), m.values.end());
  const std::string ipath = (d / (id + "-inputs.npy")).string();
  if (a.image_h > 0 && std::filesystem::exists(ipath)) {
    const NpyArray in = read_npy(ipath);
    if (in.shape != std::vector<int64_t>{static_cast<int64_t>(a.shown.size()),
                                         static_cast<int64_t>(a.image_h) * a.image_w})
      throw InputError(ipath + ": shape does not match " + jpath + " (shown × image pixels)");
    a.inputs.assign(in.values.begin(), in.values.end());
  }
  if (!a.embeddings.empty()) {
    const std::string qpath = (d / (id + "-qk.npy")).string();
    const NpyArray q = read_npy(qpath);
    const int64_t points = static_cast<int64_t>(a.embeddings.front().num_queries) +
                           a.embeddings.front().num_keys;
    if (q.shape != std::vector<int64_t>{static_cast<int64_t>(a.embeddings.size()), points, 5})
      throw InputError(qpath + ": shape does not match " + jpath + " (layers·heads × points × 5)");
    size_t at = 0;
    for (attention::QkEmbedding& e : a.embeddings) {
      if (static_cast<int64_t>(e.num_queries) + e.num_keys != points)
        throw InputError(jpath + ": qk_embeddings differ in their point counts");
      for (int64_t i = 0; i < points; ++i, at += 5) {
        const double* v = q.values.data() + at;
        for (int c = 0; c < 5; ++c)
          if (!std::isfinite(v[c])) throw InputError(qpath + ": a value is not finite");
        if (!(v[3] >= 0 && v[3] < a.examples) || !(v[4] >= 0 && v[4] < a.tokens))
          throw InputError(qpath + ": a point's input or position is out of range");
        e.x.push_back(v[0]);
        e.y.push_back(v[1]);
        e.is_query.push_back(v[2] != 0);
        e.source.push_back({static_cast<int>(v[3]), static_cast<int>(v[4])});
      }
    }
  }
  return a;
}

}  // namespace ridgeline
