// The joint query/key embedding (ridgeline/attention/qk_embedding.h): AttentionViz's
// normalisation (arXiv 2305.03210) and a PCA of the stacked rows by LAPACK's SVD of their
// scatter matrix.
#include "ridgeline/attention/qk_embedding.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "io/json_number.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/spectra/spectra.h"

namespace ridgeline::attention {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

template <class T>
void check_inputs(const std::vector<HeadMatrix<T>>& queries,
                  const std::vector<HeadMatrix<T>>& keys) {
  const std::string who = "qk_embedding: ";
  if (queries.size() != keys.size())
    throw InputError(who + std::to_string(queries.size()) + " query matrices but " +
                     std::to_string(keys.size()) + " key matrices (one of each per input)");
  int d = -1;
  size_t nq = 0, nk = 0;
  std::string first;  // the matrix that set the width
  for (size_t i = 0; i < queries.size(); ++i) {
    for (int side = 0; side < 2; ++side) {
      const HeadMatrix<T>& m = side == 0 ? queries[i] : keys[i];
      const std::string name =
          "input " + std::to_string(i) + "'s " + (side == 0 ? "queries" : "keys");
      if (m.rows < 0 || m.cols < 0 ||
          m.data.size() != static_cast<size_t>(m.rows) * static_cast<size_t>(m.cols))
        throw InputError(who + name + " hold " + std::to_string(m.data.size()) + " values, not " +
                         std::to_string(m.rows) + "×" + std::to_string(m.cols));
      if (m.rows == 0) continue;
      if (m.cols < 1) throw InputError(who + name + " have width 0");
      if (d < 0) {
        d = m.cols;
        first = name;
      } else if (m.cols != d) {
        throw InputError(who + name + " are " + std::to_string(m.cols) + " wide, but " + first +
                         " are " + std::to_string(d) +
                         " (every query and key must have the same width)");
      }
      for (int r = 0; r < m.rows; ++r)
        for (int c = 0; c < m.cols; ++c)
          if (!std::isfinite(static_cast<double>(m(r, c))))
            throw InputError(who + name + ": row " + std::to_string(r) +
                             " holds a non-finite value");
      (side == 0 ? nq : nk) += static_cast<size_t>(m.rows);
    }
  }
  if (nq == 0 || nk == 0 || d < 1)
    throw InputError(who + "no " + std::string(nq == 0 ? "query" : "key") +
                     " rows (empty input: give at least one query and one key of width ≥ 1)");
  if (nq + nk < 2) throw InputError(who + "fewer than two points");
}

template <class T>
std::vector<MatrixD> to_double(const std::vector<HeadMatrix<T>>& m) {
  std::vector<MatrixD> out;
  out.reserve(m.size());
  for (const auto& a : m) {
    MatrixD b(a.rows, a.cols);
    for (size_t i = 0; i < a.data.size(); ++i) b.data[i] = static_cast<double>(a.data[i]);
    out.push_back(std::move(b));
  }
  return out;
}

int width(const std::vector<MatrixD>& q) {
  for (const auto& m : q)
    if (m.rows > 0) return m.cols;
  return 0;
}

double norm(const double* v, int d) {
  double s = 0;
  for (int c = 0; c < d; ++c) s += v[c] * v[c];
  return std::sqrt(s);
}

// Mean norm of rows, and the centroid, over every matrix of `m`.
double mean_norm(const std::vector<MatrixD>& m, int d, std::vector<double>* centroid) {
  double sum = 0;
  size_t rows = 0;
  if (centroid) centroid->assign(static_cast<size_t>(d), 0.0);
  for (const auto& a : m)
    for (int r = 0; r < a.rows; ++r) {
      sum += norm(a.row(r), d);
      if (centroid)
        for (int c = 0; c < d; ++c) (*centroid)[static_cast<size_t>(c)] += a(r, c);
      ++rows;
    }
  if (centroid)
    for (double& x : *centroid) x /= static_cast<double>(rows);
  return sum / static_cast<double>(rows);
}

QkNormalised normalise_checked(const std::vector<MatrixD>& queries,
                               const std::vector<MatrixD>& keys) {
  const int d = width(queries) > 0 ? width(queries) : width(keys);
  std::vector<double> mq, mk;
  const double nq = mean_norm(queries, d, &mq);
  const double nk = mean_norm(keys, d, &mk);
  // h(c) = c·mean‖q‖ − mean‖c·μ_q + (k − μ_k)/c‖; h(c)/c increases with c (the second mean is
  // convex in 1/c² with zero slope at 0, as the centred keys sum to zero), so its root is unique.
  auto key_norm = [&](double c) {
    double s = 0;
    size_t rows = 0;
    std::vector<double> v(static_cast<size_t>(d));
    for (const auto& a : keys)
      for (int r = 0; r < a.rows; ++r, ++rows) {
        for (int j = 0; j < d; ++j)
          v[static_cast<size_t>(j)] =
              c * mq[static_cast<size_t>(j)] + (a(r, j) - mk[static_cast<size_t>(j)]) / c;
        s += norm(v.data(), d);
      }
    return s / static_cast<double>(rows);
  };
  auto h = [&](double c) { return c * nq - key_norm(c); };
  double c = 1;
  double lo = 1, hi = 1;
  int steps = 0;
  while (h(lo) > 0 && steps++ < 200) lo /= 2;
  steps = 0;
  while (h(hi) < 0 && steps++ < 200) hi *= 2;
  if (h(lo) <= 0 && h(hi) >= 0 && nq > 0) {
    for (int it = 0; it < 200 && hi / lo > 1 + 1e-15; ++it) {
      const double mid = std::sqrt(lo * hi);
      (h(mid) < 0 ? lo : hi) = mid;
    }
    c = std::sqrt(lo * hi);
  }
  QkNormalised out;
  QkNormalisation& n = out.normalisation;
  n.applied = true;
  n.query_scale = c;
  n.key_scale = 1 / c;
  n.key_translation.resize(static_cast<size_t>(d));
  for (int j = 0; j < d; ++j)
    n.key_translation[static_cast<size_t>(j)] =
        c * mq[static_cast<size_t>(j)] - mk[static_cast<size_t>(j)] / c;
  n.mean_query_norm_before = nq;
  n.mean_key_norm_before = nk;
  out.queries = queries;
  for (auto& a : out.queries)
    for (double& x : a.data) x *= c;
  out.keys = keys;
  for (auto& a : out.keys)
    for (int r = 0; r < a.rows; ++r)
      for (int j = 0; j < d; ++j) a(r, j) = a(r, j) / c + n.key_translation[static_cast<size_t>(j)];
  n.mean_query_norm_after = mean_norm(out.queries, d, nullptr);
  n.mean_key_norm_after = mean_norm(out.keys, d, nullptr);
  return out;
}

QkEmbedding embed(const std::vector<MatrixD>& queries_in, const std::vector<MatrixD>& keys_in,
                  const QkEmbeddingOptions& options) {
  const int d = width(queries_in) > 0 ? width(queries_in) : width(keys_in);
  QkEmbedding e;
  e.dim = d;
  QkNormalised normalised;
  const std::vector<MatrixD>* queries = &queries_in;
  const std::vector<MatrixD>* keys = &keys_in;
  if (options.normalise) {
    normalised = normalise_checked(queries_in, keys_in);
    queries = &normalised.queries;
    keys = &normalised.keys;
    e.normalisation = normalised.normalisation;
  } else {
    e.normalisation.mean_query_norm_before = e.normalisation.mean_query_norm_after =
        mean_norm(queries_in, d, nullptr);
    e.normalisation.mean_key_norm_before = e.normalisation.mean_key_norm_after =
        mean_norm(keys_in, d, nullptr);
  }
  // The stacked rows: queries, then keys.
  std::vector<double> X;
  for (int side = 0; side < 2; ++side) {
    const std::vector<MatrixD>& list = side == 0 ? *queries : *keys;
    for (size_t i = 0; i < list.size(); ++i)
      for (int r = 0; r < list[i].rows; ++r) {
        X.insert(X.end(), list[i].row(r), list[i].row(r) + d);
        e.is_query.push_back(side == 0 ? 1 : 0);
        e.source.push_back({static_cast<int>(i), r});
        ++(side == 0 ? e.num_queries : e.num_keys);
      }
  }
  const int m = e.num_queries + e.num_keys;
  e.centre.assign(static_cast<size_t>(d), 0.0);
  for (int r = 0; r < m; ++r)
    for (int j = 0; j < d; ++j)
      e.centre[static_cast<size_t>(j)] += X[static_cast<size_t>(r) * d + j];
  for (double& c : e.centre) c /= m;
  for (int r = 0; r < m; ++r)
    for (int j = 0; j < d; ++j)
      X[static_cast<size_t>(r) * d + j] -= e.centre[static_cast<size_t>(j)];

  // The principal axes are the eigenvectors of the d×d scatter matrix C = XᵀX of the centred
  // rows; C is symmetric positive semi-definite, so its SVD (LAPACK dgesdd) is its eigen-
  // decomposition. A d×d SVD instead of an m×d one: 16384 rows of width 32 take milliseconds,
  // not seconds.
  std::vector<double> C(static_cast<size_t>(d) * d, 0.0);
  for (int r = 0; r < m; ++r) {
    const double* row = X.data() + static_cast<size_t>(r) * d;
    for (int j = 0; j < d; ++j) {
      const double a = row[j];
      double* cj = C.data() + static_cast<size_t>(j) * d;
      for (int l = j; l < d; ++l) cj[l] += a * row[l];
    }
  }
  double total = 0;
  for (int j = 0; j < d; ++j) {
    total += C[static_cast<size_t>(j) * d + j];
    for (int l = 0; l < j; ++l)
      C[static_cast<size_t>(j) * d + l] = C[static_cast<size_t>(l) * d + j];
  }
  const Svd s = svd(C.data(), d, d, /*vectors=*/true);
  const int rank = s.rank();
  e.x.assign(static_cast<size_t>(m), 0.0);
  e.y.assign(static_cast<size_t>(m), 0.0);
  e.components.assign(2 * static_cast<size_t>(d), 0.0);
  for (int k = 0; k < 2; ++k) {
    if (k >= rank || !(total > 0)) {
      e.explained[k] = total > 0 ? 0.0 : kNaN;
      continue;
    }
    e.explained[k] = s.s[static_cast<size_t>(k)] / total;
    // A deterministic sign: the axis's entry of largest magnitude is positive.
    int arg = 0;
    for (int j = 1; j < d; ++j)
      if (std::abs(s.v[static_cast<size_t>(j) * rank + k]) >
          std::abs(s.v[static_cast<size_t>(arg) * rank + k]))
        arg = j;
    const double sign = s.v[static_cast<size_t>(arg) * rank + k] < 0 ? -1.0 : 1.0;
    double* axis = e.components.data() + static_cast<size_t>(k) * d;
    for (int j = 0; j < d; ++j) axis[j] = sign * s.v[static_cast<size_t>(j) * rank + k];
    std::vector<double>& out = k == 0 ? e.x : e.y;
    for (int r = 0; r < m; ++r) {
      const double* row = X.data() + static_cast<size_t>(r) * d;
      double p = 0;
      for (int j = 0; j < d; ++j) p += row[j] * axis[j];
      out[static_cast<size_t>(r)] = p;
    }
  }
  return e;
}

}  // namespace

QkNormalised normalise_queries_keys(const std::vector<MatrixD>& queries,
                                    const std::vector<MatrixD>& keys) {
  check_inputs(queries, keys);
  return normalise_checked(queries, keys);
}

QkEmbedding qk_embedding(const std::vector<MatrixD>& queries, const std::vector<MatrixD>& keys,
                         const QkEmbeddingOptions& options) {
  check_inputs(queries, keys);
  return embed(queries, keys, options);
}

QkEmbedding qk_embedding(const std::vector<MatrixF>& queries, const std::vector<MatrixF>& keys,
                         const QkEmbeddingOptions& options) {
  check_inputs(queries, keys);
  return embed(to_double(queries), to_double(keys), options);
}

std::string qk_embedding_json(const QkEmbedding& e, int indent) {
  auto num = [](double x) { return json_number::or_null(x); };
  auto arr = [](const std::vector<double>& v) { return json_number::or_null(v); };
  nlohmann::ordered_json j;
  j["dim"] = e.dim;
  j["num_queries"] = e.num_queries;
  j["num_keys"] = e.num_keys;
  j["explained"] = {num(e.explained[0]), num(e.explained[1])};
  nlohmann::ordered_json comps = nlohmann::ordered_json::array();
  for (int k = 0; k < 2 && e.dim > 0 && e.components.size() >= 2 * static_cast<size_t>(e.dim); ++k)
    comps.push_back(
        arr(std::vector<double>(e.components.begin() + static_cast<long>(k) * e.dim,
                                e.components.begin() + static_cast<long>(k + 1) * e.dim)));
  j["components"] = comps;
  j["centre"] = arr(e.centre);
  const QkNormalisation& n = e.normalisation;
  j["normalisation"] = {{"applied", n.applied},
                        {"query_scale", num(n.query_scale)},
                        {"key_scale", num(n.key_scale)},
                        {"key_translation", arr(n.key_translation)},
                        {"mean_query_norm_before", num(n.mean_query_norm_before)},
                        {"mean_key_norm_before", num(n.mean_key_norm_before)},
                        {"mean_query_norm_after", num(n.mean_query_norm_after)},
                        {"mean_key_norm_after", num(n.mean_key_norm_after)}};
  std::vector<int> is_query(e.is_query.begin(), e.is_query.end()), input, position;
  for (const auto& s : e.source) input.push_back(s.input), position.push_back(s.position);
  j["points"] = {{"x", arr(e.x)},
                 {"y", arr(e.y)},
                 {"is_query", is_query},
                 {"input", input},
                 {"position", position}};
  return j.dump(indent);
}

}  // namespace ridgeline::attention
