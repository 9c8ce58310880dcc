// Landscapes (landscape/plane.h, grid.h, landscape.h): the plane's coordinates, the quadratic
// oracle's closed form on every grid point, the models' own losses at their coordinates,
// filter normalisation, symmetric grids, resume giving the same bytes, and the files.
#include <QXmlStreamReader>
#include <QtTest>
#include <cmath>

#include "ridgeline/core/errors.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/landscape/landscape.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/quadratic/quadratic.h"
#include "ridgeline/paths/evaluator.h"
#include "ridgeline/train/evaluate.h"
#include "test_support.h"

using namespace ridgeline;

namespace {

double rel(double a, double b) { return std::abs(a - b) / std::max(1.0, std::abs(b)); }

Model quadratic_model(const std::shared_ptr<const ModelArch>& arch, uint64_t seed) {
  return Model{arch, arch->init(seed)};
}

Model mlp_model(const std::string& arch, uint64_t seed) {
  return to_model(init_mlp(parse_arch(arch), seed));
}

// θ(x, y) of a plane in float64 from the float32 models: A + a(B − A) + b(C − A).
std::vector<double> plane_point(const LandscapeBasis& p, double x, double y) {
  const std::vector<double> row = p.row(x, y);
  std::vector<double> t(p.vectors[0].size());
  for (size_t i = 0; i < t.size(); ++i)
    t[i] = row[0] * p.vectors[0][i] + row[1] * p.vectors[1][i] + row[2] * p.vectors[2][i];
  return t;
}

}  // namespace

class TestLandscape : public QObject {
  Q_OBJECT
 private slots:
  void planeCoordinates() {
    auto arch = parse_model_arch("quadratic:dim=12,seed=4");
    const Model a = quadratic_model(arch, 1), b = quadratic_model(arch, 2),
                c = quadratic_model(arch, 3);
    LandscapeBasis p = plane_basis({"A", "B", "C"}, a, b, c);
    QCOMPARE(p.info.kind, std::string("plane"));
    QCOMPARE(p.info.coordinates.size(), size_t(3));
    QCOMPARE(p.info.coordinates[0].x, 0.0);
    QCOMPARE(p.info.coordinates[1].x, 1.0);
    QVERIFY(p.cy > 0);
    // ‖B − A‖ in float64, and C rebuilt from its coordinates.
    double l2 = 0;
    for (size_t i = 0; i < a.params.size(); ++i)
      l2 += std::pow(double(b.params[i]) - a.params[i], 2);
    QVERIFY(rel(p.info.norm_x, std::sqrt(l2)) < 1e-12);
    const std::vector<double> c_back = plane_point(p, p.cx, p.cy);
    for (size_t i = 0; i < c_back.size(); ++i) QVERIFY(std::abs(c_back[i] - c.params[i]) < 1e-6);
    // Unit rows at A and B (so the evaluator returns the models themselves).
    QCOMPARE(point_form(p.row(0, 0)), PointForm::Unit);
    QCOMPARE(point_form(p.row(1, 0)), PointForm::Unit);
    // A model in the plane projects to its coordinates with no distance off the plane; a
    // model off the plane reports the distance.
    std::vector<float> m(a.params.size());
    const std::vector<double> in_plane = plane_point(p, 0.3, 0.7);
    for (size_t i = 0; i < m.size(); ++i) m[i] = static_cast<float>(in_plane[i]);
    p.project("M", m);
    const ModelCoordinate& mc = p.info.coordinates.back();
    QVERIFY(std::abs(mc.x - 0.3) < 1e-5 && std::abs(mc.y - 0.7) < 1e-5);
    QVERIFY(mc.off_plane < 1e-4 * p.info.norm_x);
    p.project("D", quadratic_model(arch, 9).params);
    QVERIFY(p.info.coordinates.back().off_plane > 0.1);
    // Degenerate planes are input errors that name the models.
    QVERIFY_THROWS_EXCEPTION(InputError, plane_basis({"A", "A2", "C"}, a, a, c));
    Model on_line = a;
    for (size_t i = 0; i < on_line.params.size(); ++i)
      on_line.params[i] = a.params[i] + 2.0f * (b.params[i] - a.params[i]);
    try {
      plane_basis({"A", "B", "L"}, a, b, on_line);
      QFAIL("C on the line AB was accepted");
    } catch (const InputError& e) {
      QVERIFY2(
          std::string(e.what()).find("L lies on the line through A and B") != std::string::npos,
          e.what());
    }
  }

  void quadraticGridIsClosedForm() {
    auto be = make_backend("cpu", 2);
    auto arch = parse_model_arch("quadratic:dim=15,seed=8,indefinite");
    const QuadraticForm f = quadratic_form(*as_quadratic_arch(*arch));
    const Model a = quadratic_model(arch, 1), b = quadratic_model(arch, 2),
                c = quadratic_model(arch, 3);
    const LandscapeBasis plane = plane_basis({"A", "B", "C"}, a, b, c);
    const LandscapeBasis around = random_basis("A", a, 5, /*keep_1d=*/true);
    GridSpec gs{9, 7, -0.5, 1.5, -0.75, 1.25};
    for (const LandscapeBasis* p : {&plane, &around}) {
      const LandscapeGrid g = evaluate_grid(*be, *arch, *p, nullptr, gs, {});
      QCOMPARE(g.loss.size(), size_t(63));
      for (int j = 0; j < g.ny(); ++j)
        for (int i = 0; i < g.nx(); ++i) {
          std::vector<double> theta(a.params.size());
          const std::vector<double> row = p->row(g.xs[i], g.ys[j]);
          for (size_t k = 0; k < 3; ++k)
            for (size_t q = 0; q < theta.size(); ++q) theta[q] += row[k] * p->vectors[k][q];
          // Points are formed in float32: relative rounding ~1e-7 of θ's size.
          QVERIFY2(rel(g.loss_at(i, j), f.loss(theta)) < 1e-5,
                   qPrintable(QString("%1 (%2,%3): %4 vs %5")
                                  .arg(QString::fromStdString(p->info.kind))
                                  .arg(i)
                                  .arg(j)
                                  .arg(g.loss_at(i, j))
                                  .arg(f.loss(theta))));
          QVERIFY(std::isnan(g.error_at(i, j)));  // no accuracy
        }
    }
  }

  void mlpModelsAtTheirCoordinates() {
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(200, 300, 6, 4, 7);
    const Model a = mlp_model("mlp:6,16,12,4", 1), b = mlp_model("mlp:6,16,12,4", 2),
                c = mlp_model("mlp:6,16,12,4", 3);
    const LandscapeBasis p = plane_basis({"A", "B", "C"}, a, b, c);
    // x = −0.5, 0, 0.5, 1, 1.5 and y = −0.5, 0, 0.5: A and B are grid nodes.
    const LandscapeGrid g =
        evaluate_grid(*be, *a.arch, p, &d.test, {5, 3, -0.5, 1.5, -0.5, 0.5}, {});
    QCOMPARE(g.xs[1], 0.0);
    QCOMPARE(g.xs[3], 1.0);
    QCOMPARE(g.ys[1], 0.0);
    const LossError ea = evaluate(*be, a, d.test), eb = evaluate(*be, b, d.test),
                    ec = evaluate(*be, c, d.test);
    // Unit rows are the models themselves: only the data's summation order differs.
    QVERIFY2(rel(g.loss_at(1, 1), ea.loss) < 1e-6,
             qPrintable(QString("%1 vs %2").arg(g.loss_at(1, 1)).arg(ea.loss)));
    QVERIFY(rel(g.loss_at(3, 1), eb.loss) < 1e-6);
    QCOMPARE(g.error_at(1, 1), ea.error);
    QCOMPARE(g.error_at(3, 1), eb.error);
    // Exactly: the same numbers as the evaluator's unit rows of a line through A and B.
    const PointValues ends =
        evaluate_points(*be, *a.arch, line_points(a.params, b.params, {0.0, 1.0}), &d.test);
    QCOMPARE(g.loss_at(1, 1), ends.loss[0]);
    QCOMPARE(g.loss_at(3, 1), ends.loss[1]);
    // C is not a grid node: the same rows at its coordinates.
    const PointValues vc = evaluate_coordinates(*be, *a.arch, p, &d.test, {{p.cx, p.cy}});
    QVERIFY(rel(vc.loss[0], ec.loss) < 1e-5);
    QVERIFY(std::abs(vc.error[0] - ec.error) <= 1.0 / d.test.n + 1e-12);
    // The three losses differ, so a swapped basis would fail above.
    QVERIFY(std::abs(ea.loss - eb.loss) > 1e-3 && std::abs(ea.loss - ec.loss) > 1e-3);
  }

  void filterNormalisation() {
    const Model m = mlp_model("mlp:6,16,12,4+ln", 3);
    const auto blocks = m.arch->blocks();
    for (bool keep : {false, true}) {
      const std::vector<float> d = filter_normalized_direction(*m.arch, m.params, 11, keep);
      int matrices = 0;
      for (const ParamBlockInfo& blk : blocks) {
        size_t count = 1;
        for (auto s : blk.shape) count *= static_cast<size_t>(s);
        if (blk.shape.size() < 2) {
          for (size_t i = 0; i < count; ++i)
            QCOMPARE(d[blk.offset + i], keep ? m.params[blk.offset + i] : 0.0f);
          continue;
        }
        ++matrices;
        const size_t rows = static_cast<size_t>(blk.shape[0]), len = count / rows;
        for (size_t r = 0; r < rows; ++r) {
          double nd = 0, nt = 0;
          for (size_t i = 0; i < len; ++i) {
            nd += std::pow(double(d[blk.offset + r * len + i]), 2);
            nt += std::pow(double(m.params[blk.offset + r * len + i]), 2);
          }
          QVERIFY2(rel(std::sqrt(nd), std::sqrt(nt)) < 1e-6,
                   qPrintable(QString::fromStdString(blk.name)));
        }
      }
      QCOMPARE(matrices, 3);
    }
    // Seeded: the same seed gives the same direction, another seed another.
    QCOMPARE(filter_normalized_direction(*m.arch, m.params, 11, false),
             filter_normalized_direction(*m.arch, m.params, 11, false));
    QVERIFY(filter_normalized_direction(*m.arch, m.params, 11, false) !=
            filter_normalized_direction(*m.arch, m.params, 12, false));
    const LandscapeBasis r = random_basis("m", m, 0);
    QVERIFY(r.vectors[1] != r.vectors[2]);
    // The quadratic has one 1-D block: its directions are zero unless kept.
    auto q = parse_model_arch("quadratic:dim=4");
    QVERIFY_THROWS_EXCEPTION(InputError, random_basis("q", quadratic_model(q, 1), 0));
  }

  void symmetricGrid() {
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(100, 150, 6, 4, 2);
    const Model m = mlp_model("mlp:6,16,4", 5);
    const LandscapeBasis r = random_basis("m", m, 3);
    const LandscapeGrid g = evaluate_grid(*be, *m.arch, r, &d.test, {7, 5, -1, 1, -0.5, 0.5}, {});
    for (int i = 0; i < 7; ++i) QCOMPARE(g.xs[i], -g.xs[6 - i]);
    for (int j = 0; j < 5; ++j) QCOMPARE(g.ys[j], -g.ys[4 - j]);
    QCOMPARE(g.xs[3], 0.0);
    QCOMPARE(g.ys[2], 0.0);
    // The centre is the model itself; the centre row and column are the lines θ + x·d₁ and
    // θ + y·d₂ evaluated on their own.
    const LossError e = evaluate(*be, m, d.test);
    QVERIFY(rel(g.loss_at(3, 2), e.loss) < 1e-6);
    ParameterPoints row{{&r.vectors[0], &r.vectors[1]}, {}},
        col{{&r.vectors[0], &r.vectors[2]}, {}};
    for (double x : g.xs) row.coeffs.push_back({1.0, x});
    for (double y : g.ys) col.coeffs.push_back({1.0, y});
    const PointValues vr = evaluate_points(*be, *m.arch, row, &d.test),
                      vc = evaluate_points(*be, *m.arch, col, &d.test);
    for (int i = 0; i < 7; ++i) QVERIFY(rel(g.loss_at(i, 2), vr.loss[i]) < 1e-5);
    for (int j = 0; j < 5; ++j) QVERIFY(rel(g.loss_at(3, j), vc.loss[j]) < 1e-5);
    // Both halves: around the quadratic's minimum θ*, L(θ* + v) = L(θ* − v), so the grid is
    // point-symmetric about its centre (and rises away from it).
    auto q = parse_model_arch("quadratic:dim=10,seed=2");
    const QuadraticForm f = quadratic_form(*as_quadratic_arch(*q));
    const Model star{q, std::vector<float>(f.theta_star.begin(), f.theta_star.end())};
    const LandscapeBasis rq = random_basis("star", star, 1, /*keep_1d=*/true);
    const LandscapeGrid gq = evaluate_grid(*be, *q, rq, nullptr, {9, 9, -2, 2, -2, 2}, {});
    for (int j = 0; j < 9; ++j)
      for (int i = 0; i < 9; ++i) {
        QVERIFY(rel(gq.loss_at(i, j), gq.loss_at(8 - i, 8 - j)) < 1e-5);
        QVERIFY(gq.loss_at(i, j) >= gq.loss_at(4, 4) - 1e-9);
      }
    // An asymmetric range is not symmetric (the test above can fail).
    const std::vector<double> ax = grid_axis(5, -1, 2);
    QVERIFY(ax.front() != -ax.back());
  }

  void resumeGivesTheSameBytes() {
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(100, 257, 6, 4, 9);
    const Model a = mlp_model("mlp:6,16,4", 1), b = mlp_model("mlp:6,16,4", 2),
                c = mlp_model("mlp:6,16,4", 3);
    const LandscapeBasis p = plane_basis({"A", "B", "C"}, a, b, c);
    test::ScratchDir s1("land-full"), s2("land-resumed");
    LandscapeConfig cfg;
    cfg.grid = {6, 5, -0.5, 1.5, -0.5, 1.0};
    cfg.options.chunk = 100;
    cfg.options.batch_points = 12;  // batches of two rows
    const LandscapeResult full = compute_landscape(*be, *a.arch, p, &d.test, cfg);
    write_landscape(full, s1.path().string(), "plane", s1.file("plane.vts"));
    // Interrupted after two rows (cancelled from the progress callback).
    CancelToken cancel;
    LandscapeConfig part = cfg;
    part.options.resume_dir = s2.file("resume");
    part.options.cancel = &cancel;
    part.options.progress = [&](const Progress& q) {
      if (q.done >= 2 * 6) cancel.cancel();
    };
    QVERIFY_THROWS_EXCEPTION(Cancelled, compute_landscape(*be, *a.arch, p, &d.test, part));
    QVERIFY(std::filesystem::exists(s2.file("resume/row-1.bin")));
    QVERIFY(!std::filesystem::exists(s2.file("resume/row-2.bin")));
    // A batch with a missing row is evaluated again as a whole (rows 0 and 1 together).
    std::filesystem::remove(s2.file("resume/row-1.bin"));
    // Another grid into the same folder is refused.
    LandscapeConfig other = part;
    other.options.cancel = nullptr;
    other.options.progress = {};
    other.grid.nx = 7;
    QVERIFY_THROWS_EXCEPTION(InputError, compute_landscape(*be, *a.arch, p, &d.test, other));
    // The restart skips the finished rows and writes the same bytes.
    LandscapeConfig again = part;
    again.options.cancel = nullptr;
    again.options.progress = {};
    const LandscapeResult resumed = compute_landscape(*be, *a.arch, p, &d.test, again);
    QCOMPARE(resumed.rows_resumed, 1);
    write_landscape(resumed, s2.path().string(), "plane", s2.file("plane.vts"));
    remove_resume_folder(again.options.resume_dir);
    QVERIFY(!std::filesystem::exists(again.options.resume_dir));
    for (const char* f : {"plane.json", "plane.loss.npy", "plane.error.npy", "plane.xs.npy",
                          "plane.ys.npy", "plane.vts"})
      QVERIFY2(read_file(s1.file(f)) == read_file(s2.file(f)), f);
  }

  void filesRoundTrip() {
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(100, 120, 6, 4, 1);
    const Model a = mlp_model("mlp:6,8,4", 1), b = mlp_model("mlp:6,8,4", 2),
                c = mlp_model("mlp:6,8,4", 3);
    LandscapeBasis p = plane_basis({"A", "B", "C"}, a, b, c);
    p.project("D", mlp_model("mlp:6,8,4", 4).params);
    LandscapeConfig cfg;
    cfg.grid = {5, 4, -0.5, 1.5, -0.5, 1.0};
    cfg.connectivity = 8;
    const LandscapeResult r = compute_landscape(*be, *a.arch, p, &d.test, cfg);
    QVERIFY(r.pass && r.linear);
    test::ScratchDir s("land-files");
    write_landscape(r, s.path().string(), "L", s.file("L.vts"));
    const LandscapeResult back = load_landscape(s.file("L.json"));
    QCOMPARE(back.info.kind, std::string("plane"));
    QCOMPARE(back.info.coordinates.size(), size_t(4));
    QCOMPARE(back.info.coordinates[3].name, std::string("D"));
    QCOMPARE(back.info.coordinates[2].y, p.cy);
    QCOMPARE(back.info.norm_x, p.info.norm_x);
    QCOMPARE(back.grid.loss, r.grid.loss);
    QCOMPARE(back.grid.xs, r.grid.xs);
    QCOMPARE(back.connectivity, 8);
    QCOMPARE(back.pass->cells, r.pass->cells);
    QCOMPARE(back.pass->loss_mid, r.pass->loss_mid);
    QCOMPARE(back.linear->max_loss, r.linear->max_loss);
    QCOMPARE(back.persistence.size(), r.persistence.size());
    QVERIFY(std::isinf(back.persistence.front().death));
    // The same files written again are the same bytes.
    QCOMPARE(landscape_to_json(back, "L"), read_file(s.file("L.json")));
    // A damaged file is an input error naming it.
    write_file_atomic(s.file("bad.json"), "{\"kind\": \"plane\"}");
    try {
      load_landscape(s.file("bad.json"));
      QFAIL("accepted");
    } catch (const InputError& e) {
      QVERIFY(std::string(e.what()).find("bad.json: models: missing") != std::string::npos);
    }
    // The .vts: VTK XML StructuredGrid with the extents, points and the two point arrays,
    // each an inline base64 block of a UInt32 byte count and float64 values.
    QXmlStreamReader xml(QByteArray::fromStdString(read_file(s.file("L.vts"))));
    QStringList arrays;
    bool grid = false, piece = false;
    while (!xml.atEnd()) {
      if (xml.readNext() != QXmlStreamReader::StartElement) continue;
      const auto at = xml.attributes();
      if (xml.name() == u"VTKFile") {
        QCOMPARE(at.value("type").toString(), QString("StructuredGrid"));
        QCOMPARE(at.value("byte_order").toString(), QString("LittleEndian"));
      } else if (xml.name() == u"StructuredGrid") {
        grid = true;
        QCOMPARE(at.value("WholeExtent").toString(), QString("0 4 0 3 0 0"));
      } else if (xml.name() == u"Piece") {
        piece = true;
        QCOMPARE(at.value("Extent").toString(), QString("0 4 0 3 0 0"));
      } else if (xml.name() == u"DataArray") {
        const int comps = at.value("NumberOfComponents").toInt();
        const QString name = at.value("Name").toString();
        QCOMPARE(at.value("format").toString(), QString("binary"));
        const QString text = xml.readElementText().trimmed();
        // Header: 8 base64 characters (4 bytes, padded); then the values.
        const QByteArray header = QByteArray::fromBase64(text.left(8).toLatin1());
        const QByteArray values = QByteArray::fromBase64(text.mid(8).toLatin1());
        QCOMPARE(header.size(), 4);
        uint32_t n = 0;
        std::memcpy(&n, header.data(), 4);
        QCOMPARE(int(n), 20 * comps * 8);
        QCOMPARE(values.size(), int(n));
        std::vector<double> v(20 * comps);
        std::memcpy(v.data(), values.data(), n);
        if (name == "loss") QCOMPARE(v, r.grid.loss);
        if (name.isEmpty()) {  // the points: (x, y, loss) of point (i, j) at j·nx + i
          QCOMPARE(comps, 3);
          QCOMPARE(v[3 * 7 + 0], r.grid.xs[2]);
          QCOMPARE(v[3 * 7 + 1], r.grid.ys[1]);
          QCOMPARE(v[3 * 7 + 2], r.grid.loss_at(2, 1));
        }
        arrays << (name.isEmpty() ? "points" : name);
      }
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QVERIFY(grid && piece);
    QCOMPARE(arrays, QStringList({"loss", "error", "points"}));
  }
};

QTEST_APPLESS_MAIN(TestLandscape)
#include "test_landscape.moc"
