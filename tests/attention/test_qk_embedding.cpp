// The joint query/key embedding (ridgeline/attention/qk_embedding.h): on points near a known
// tilted plane the two components explain ≈ all the variance and the coordinates equal an
// independent float64 reference (Eigen's symmetric eigensolver) up to sign; AttentionViz's
// normalisation leaves each query's dot products over its keys shifted by one constant (so
// their ordering and its softmax row are unchanged) while the centroids meet and the mean norms
// agree; points are labelled by input and position; malformed input throws InputError naming
// the problem.
#include <Eigen/Dense>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "ridgeline/attention/qk_embedding.h"
#include "ridgeline/core/errors.h"

using namespace ridgeline;
using namespace ridgeline::attention;

namespace {

// Rows a·u + b·v + o + noise, a ~ N(0, 3²), b ~ N(0, 1), in R^d (u, v orthonormal, tilted).
template <class T>
HeadMatrix<T> plane_points(int n, int d, std::mt19937_64& rng, const Eigen::VectorXd& u,
                           const Eigen::VectorXd& v, const Eigen::VectorXd& o, double noise) {
  std::normal_distribution<double> g(0, 1);
  HeadMatrix<T> m(n, d);
  for (int r = 0; r < n; ++r) {
    const double a = 3 * g(rng), b = g(rng);
    for (int j = 0; j < d; ++j)
      m(r, j) = static_cast<T>(a * u[j] + b * v[j] + o[j] + noise * g(rng));
  }
  return m;
}

MatrixD random_matrix(int n, int d, std::mt19937_64& rng, double scale, double shift) {
  std::normal_distribution<double> g(0, 1);
  MatrixD m(n, d);
  for (double& x : m.data) x = scale * g(rng) + shift;
  return m;
}

double dot(const double* a, const double* b, int d) {
  double s = 0;
  for (int j = 0; j < d; ++j) s += a[j] * b[j];
  return s;
}

template <class F>
void expect_input_error(F&& f, const char* fragment) {
  try {
    f();
  } catch (const InputError& e) {
    QVERIFY2(std::string(e.what()).find(fragment) != std::string::npos, e.what());
    return;
  }
  QFAIL(qPrintable(QString("no InputError (wanted one mentioning '%1')").arg(fragment)));
}

}  // namespace

class TestQkEmbedding : public QObject {
  Q_OBJECT
 private slots:
  void recoversAKnownPlaneAgainstAFloat64Reference() {
    const int d = 6;
    std::mt19937_64 rng(11);
    // A tilted plane: u, v orthonormal, mixing every coordinate.
    Eigen::MatrixXd basis = Eigen::MatrixXd::Random(d, 2);
    Eigen::HouseholderQR<Eigen::MatrixXd> qr(basis);
    const Eigen::MatrixXd Q = qr.householderQ() * Eigen::MatrixXd::Identity(d, 2);
    const Eigen::VectorXd u = Q.col(0), v = Q.col(1);
    const Eigen::VectorXd o = Eigen::VectorXd::Constant(d, 0.7);
    std::vector<MatrixF> qs, ks;
    for (int input = 0; input < 3; ++input) {
      qs.push_back(plane_points<float>(20 + input, d, rng, u, v, o, 1e-5));
      ks.push_back(plane_points<float>(20 + input, d, rng, u, v, o, 1e-5));
    }
    QkEmbeddingOptions opt;
    opt.normalise = false;  // keep the points as given: the plane is the answer
    const QkEmbedding e = qk_embedding(qs, ks, opt);
    QCOMPARE(e.size(), 2 * (20 + 21 + 22));
    QVERIFY(!e.normalisation.applied);
    QVERIFY2(e.explained[0] + e.explained[1] > 1 - 1e-8,
             qPrintable(QString("explained %1 + %2").arg(e.explained[0]).arg(e.explained[1])));
    QVERIFY(e.explained[0] > e.explained[1]);
    // The recovered axes span the plane.
    for (int k = 0; k < 2; ++k) {
      Eigen::Map<const Eigen::VectorXd> c(e.components.data() + static_cast<size_t>(k) * d, d);
      QVERIFY(std::abs(c.norm() - 1) < 1e-12);
      QVERIFY(std::abs(c.dot(u) * c.dot(u) + c.dot(v) * c.dot(v) - 1) < 1e-8);
    }
    // Reference: the same float values in float64, covariance eigenvectors (Eigen).
    Eigen::MatrixXd X(e.size(), d);
    int row = 0;
    for (const auto* list : {&qs, &ks})
      for (const auto& m : *list)
        for (int r = 0; r < m.rows; ++r, ++row)
          for (int j = 0; j < d; ++j) X(row, j) = static_cast<double>(m(r, j));
    const Eigen::RowVectorXd mean = X.colwise().mean();
    X.rowwise() -= mean;
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(X.transpose() * X);
    const Eigen::VectorXd lambda = eig.eigenvalues();  // ascending
    const double total = lambda.sum();
    QVERIFY(std::abs(e.explained[0] - lambda[d - 1] / total) < 1e-10);
    QVERIFY(std::abs(e.explained[1] - lambda[d - 2] / total) < 1e-10);
    for (int k = 0; k < 2; ++k) {
      const Eigen::VectorXd ref = X * eig.eigenvectors().col(d - 1 - k);
      const std::vector<double>& got = k == 0 ? e.x : e.y;
      const double sign = ref[0] * got[0] < 0 ? -1 : 1;
      double worst = 0;
      for (int r = 0; r < e.size(); ++r)
        worst = std::max(worst, std::abs(sign * got[static_cast<size_t>(r)] - ref[r]));
      QVERIFY2(worst < 1e-8 * std::sqrt(lambda[d - 1 - k]),
               qPrintable(QString("PC%1 off by %2").arg(k + 1).arg(worst)));
    }
    // The float and double overloads agree.
    std::vector<MatrixD> qd, kd;
    for (const auto& m : qs) {
      MatrixD b(m.rows, m.cols);
      std::copy(m.data.begin(), m.data.end(), b.data.begin());
      qd.push_back(b);
    }
    for (const auto& m : ks) {
      MatrixD b(m.rows, m.cols);
      std::copy(m.data.begin(), m.data.end(), b.data.begin());
      kd.push_back(b);
    }
    const QkEmbedding e2 = qk_embedding(qd, kd, opt);
    QCOMPARE(e2.x, e.x);
    QCOMPARE(e2.y, e.y);
  }

  void pointsAreLabelledByInputAndPosition() {
    std::mt19937_64 rng(3);
    std::vector<MatrixD> qs{random_matrix(3, 4, rng, 1, 0), random_matrix(5, 4, rng, 1, 0)};
    std::vector<MatrixD> ks{random_matrix(3, 4, rng, 1, 0), random_matrix(5, 4, rng, 1, 0)};
    const QkEmbedding e = qk_embedding(qs, ks);
    QCOMPARE(e.num_queries, 8);
    QCOMPARE(e.num_keys, 8);
    QCOMPARE(e.dim, 4);
    QCOMPARE(static_cast<int>(e.is_query.size()), 16);
    QCOMPARE(static_cast<int>(e.source.size()), 16);
    QCOMPARE(static_cast<int>(std::count(e.is_query.begin(), e.is_query.end(), 1)), 8);
    // Queries first, input by input, in token order; then keys.
    QCOMPARE(int(e.is_query[0]), 1);
    QCOMPARE(e.source[4].input, 1);
    QCOMPARE(e.source[4].position, 1);
    QCOMPARE(int(e.is_query[8]), 0);
    QCOMPARE(e.source[8].input, 0);
    QCOMPARE(e.source[8].position, 0);
    QCOMPARE(e.source[15].input, 1);
    QCOMPARE(e.source[15].position, 4);
    // Every point is the centred, normalised row projected on the axes.
    const QkNormalised n = normalise_queries_keys(qs, ks);
    for (int k = 0; k < 2; ++k) {
      const double* c = e.components.data() + static_cast<size_t>(k) * 4;
      double p = 0;
      for (int j = 0; j < 4; ++j) p += (n.keys[1](4, j) - e.centre[static_cast<size_t>(j)]) * c[j];
      QVERIFY(std::abs(p - (k == 0 ? e.x[15] : e.y[15])) < 1e-10);
    }
  }

  // AttentionViz (arXiv 2305.03210, "vector normalization"): translating every key by one vector
  // and scaling queries by c and keys by 1/c leave each query's attention unchanged.
  void normalisationKeepsEachQuerysOrderingOfDotProducts() {
    const int d = 5;
    std::mt19937_64 rng(7);
    std::vector<MatrixD> qs, ks;
    for (int input = 0; input < 4; ++input) {
      const int n = 6 + 3 * input;
      qs.push_back(random_matrix(n, d, rng, 0.5, 2.0));   // queries: small, off-centre
      ks.push_back(random_matrix(n, d, rng, 4.0, -3.0));  // keys: large, elsewhere
    }
    const QkNormalised out = normalise_queries_keys(qs, ks);
    const QkNormalisation& t = out.normalisation;
    QVERIFY(t.applied);
    QVERIFY(t.query_scale > 0);
    QVERIFY(std::abs(t.query_scale * t.key_scale - 1) < 1e-15);
    // Before: far apart and of different sizes; after: one centroid, one mean norm.
    QVERIFY(t.mean_key_norm_before > 2 * t.mean_query_norm_before);
    QVERIFY2(
        std::abs(t.mean_query_norm_after - t.mean_key_norm_after) < 1e-9 * t.mean_key_norm_after,
        qPrintable(QString("%1 vs %2").arg(t.mean_query_norm_after).arg(t.mean_key_norm_after)));
    std::vector<double> cq(d, 0), ck(d, 0);
    int nq = 0, nk = 0;
    for (const auto& m : out.queries)
      for (int r = 0; r < m.rows; ++r, ++nq)
        for (int j = 0; j < d; ++j) cq[j] += m(r, j);
    for (const auto& m : out.keys)
      for (int r = 0; r < m.rows; ++r, ++nk)
        for (int j = 0; j < d; ++j) ck[j] += m(r, j);
    for (int j = 0; j < d; ++j) QVERIFY(std::abs(cq[j] / nq - ck[j] / nk) < 1e-10);
    // Per query, over the keys of its own input: the dot products move by one constant, so
    // their ordering and the softmax row are unchanged.
    for (size_t i = 0; i < qs.size(); ++i) {
      const int n = qs[i].rows;
      for (int a = 0; a < n; ++a) {
        std::vector<double> before(n), after(n);
        for (int b = 0; b < n; ++b) {
          before[b] = dot(qs[i].row(a), ks[i].row(b), d);
          after[b] = dot(out.queries[i].row(a), out.keys[i].row(b), d);
        }
        const double shift = after[0] - before[0];
        for (int b = 0; b < n; ++b) QVERIFY(std::abs(after[b] - before[b] - shift) < 1e-9);
        std::vector<int> o1(n), o2(n);
        std::iota(o1.begin(), o1.end(), 0);
        std::iota(o2.begin(), o2.end(), 0);
        std::sort(o1.begin(), o1.end(), [&](int x, int y) { return before[x] < before[y]; });
        std::sort(o2.begin(), o2.end(), [&](int x, int y) { return after[x] < after[y]; });
        QCOMPARE(o1, o2);
        auto softmax = [](std::vector<double> s) {
          const double m = *std::max_element(s.begin(), s.end());
          double z = 0;
          for (double& x : s) z += (x = std::exp(x - m));
          for (double& x : s) x /= z;
          return s;
        };
        const auto p1 = softmax(before), p2 = softmax(after);
        for (int b = 0; b < n; ++b) QVERIFY(std::abs(p1[b] - p2[b]) < 1e-12);
      }
    }
    // qk_embedding reports the same transform.
    const QkEmbedding e = qk_embedding(qs, ks);
    QVERIFY(e.normalisation.applied);
    QCOMPARE(e.normalisation.query_scale, t.query_scale);
  }

  void writesJson() {
    std::mt19937_64 rng(9);
    std::vector<MatrixD> qs{random_matrix(3, 4, rng, 1, 0)}, ks{random_matrix(2, 4, rng, 1, 0)};
    const QkEmbedding e = qk_embedding(qs, ks);
    QJsonParseError err;
    const QJsonDocument doc =
        QJsonDocument::fromJson(QByteArray::fromStdString(qk_embedding_json(e)), &err);
    QVERIFY2(err.error == QJsonParseError::NoError, qPrintable(err.errorString()));
    const QJsonObject o = doc.object();
    QCOMPARE(o["dim"].toInt(), 4);
    QCOMPARE(o["num_keys"].toInt(), 2);
    QCOMPARE(o["explained"].toArray()[0].toDouble(), e.explained[0]);
    QCOMPARE(o["components"].toArray().size(), 2);
    QCOMPARE(o["components"].toArray()[1].toArray().size(), 4);
    QVERIFY(o["normalisation"].toObject()["applied"].toBool());
    QCOMPARE(o["normalisation"].toObject()["query_scale"].toDouble(), e.normalisation.query_scale);
    const QJsonObject p = o["points"].toObject();
    QCOMPARE(p["x"].toArray().size(), 5);
    QCOMPARE(p["y"].toArray()[4].toDouble(), e.y[4]);
    QCOMPARE(p["is_query"].toArray()[3].toInt(), 0);
    QCOMPARE(p["position"].toArray()[4].toInt(), 1);
    // All points equal: no variance, explained ratios null.
    MatrixD same(2, 3);
    const QkEmbedding flat = qk_embedding(std::vector<MatrixD>{same}, std::vector<MatrixD>{same});
    QVERIFY(std::isnan(flat.explained[0]));
    QVERIFY(qk_embedding_json(flat).find("\"explained\":[null,null]") != std::string::npos);
  }

  void equalKeysAreOnlyTranslated() {
    std::mt19937_64 rng(5);
    std::vector<MatrixD> qs{random_matrix(4, 3, rng, 1, 1)};
    MatrixD k(4, 3);
    for (int r = 0; r < 4; ++r)
      for (int j = 0; j < 3; ++j) k(r, j) = 2.0 + j;
    const QkNormalised out = normalise_queries_keys(qs, {k});
    QCOMPARE(out.normalisation.query_scale, 1.0);
    for (int j = 0; j < 3; ++j) {
      double mq = 0;
      for (int r = 0; r < 4; ++r) mq += qs[0](r, j) / 4;
      QVERIFY(std::abs(out.keys[0](2, j) - mq) < 1e-12);
    }
  }

  void malformedInputThrowsInputError() {
    std::mt19937_64 rng(1);
    const MatrixD a = random_matrix(3, 4, rng, 1, 0), wide = random_matrix(3, 5, rng, 1, 0);
    expect_input_error(
        [&] {
          qk_embedding(std::vector<MatrixD>{a, a}, std::vector<MatrixD>{a});
        },
        "2 query matrices but 1 key matrices");
    expect_input_error([&] { qk_embedding(std::vector<MatrixD>{a}, std::vector<MatrixD>{wide}); },
                       "input 0's keys are 5 wide, but input 0's queries are 4");
    expect_input_error(
        [&] {
          qk_embedding(std::vector<MatrixD>{a, wide}, std::vector<MatrixD>{a, a});
        },
        "input 1's queries are 5 wide, but input 0's queries are 4");
    expect_input_error([&] { qk_embedding(std::vector<MatrixD>{}, std::vector<MatrixD>{}); },
                       "empty input");
    expect_input_error(
        [&] { qk_embedding(std::vector<MatrixD>{MatrixD(0, 4)}, std::vector<MatrixD>{a}); },
        "no query rows");
    MatrixD bad = a;
    bad.data.pop_back();
    expect_input_error([&] { qk_embedding(std::vector<MatrixD>{a}, std::vector<MatrixD>{bad}); },
                       "input 0's keys hold 11 values, not 3×4");
    MatrixD nan = a;
    nan(2, 1) = std::nan("");
    expect_input_error([&] { qk_embedding(std::vector<MatrixD>{nan}, std::vector<MatrixD>{a}); },
                       "input 0's queries: row 2 holds a non-finite value");
    expect_input_error(
        [&] { normalise_queries_keys(std::vector<MatrixD>{a}, std::vector<MatrixD>{wide}); },
        "5 wide");
  }
};

QTEST_APPLESS_MAIN(TestQkEmbedding)
#include "test_qk_embedding.moc"
