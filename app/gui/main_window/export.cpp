#include "gui/main_window/export.h"

#include <cmath>
#include <functional>
#include <QBuffer>
#include <QChart>
#include <QChartView>
#include <QDir>
#include <QFileInfo>
#include <QGraphicsScene>
#include <QImage>
#include <QPainter>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStringList>
#include <QSvgGenerator>

namespace ridgeline::gui {

namespace {

/// Lays a chart out at another size for the duration of an export, then restores it.
class ChartResize {
 public:
  ChartResize(QChart* chart, QSizeF size) : chart_(chart), old_(chart->size()) {
    chart_->resize(size);
  }
  ~ChartResize() { chart_->resize(old_); }
  ChartResize(const ChartResize&) = delete;
  ChartResize& operator=(const ChartResize&) = delete;

 private:
  QChart* chart_;
  QSizeF old_;
};

/// The layout size with the aspect ratio of `target` and the width of kExportLayout.
QSizeF layoutFor(QSizeF target) {
  const double w = kExportLayout.width();
  return {w, w * target.height() / target.width()};
}

/// Draws the chart of `view` laid out at `layout` into `target` of `painter`.
void paintChart(QChartView* view, QPainter& painter, const QRectF& target, QSizeF layout) {
  QChart* chart = view->chart();
  ChartResize resize(chart, layout);
  const QRectF source = chart->mapRectToScene(QRectF(QPointF(0, 0), layout));
  painter.setRenderHint(QPainter::Antialiasing);
  painter.setRenderHint(QPainter::TextAntialiasing);
  view->scene()->render(&painter, target, source, Qt::IgnoreAspectRatio);
}

bool fail(QString* error, const QString& why) {
  if (error) *error = why;
  return false;
}

bool checkView(QChartView* view, const QString& path, QString* error) {
  if (!view || !view->chart() || !view->scene())
    return fail(error, "no chart to export to " + path);
  if (path.isEmpty()) return fail(error, "empty file name");
  return true;
}

/// 17 significant digits; an undefined value (NaN, e.g. the error of a model without accuracy,
/// or ±inf) is an empty field, as a missing one.
QString number(double v) { return std::isfinite(v) ? QString::number(v, 'g', 17) : QString(); }

QString csvField(const QString& s) {
  if (!s.contains(',') && !s.contains('"') && !s.contains('\n')) return s;
  QString q = s;
  q.replace("\"", "\"\"");
  return "\"" + q + "\"";
}

}  // namespace

namespace {

/// Draws into `layout` units of `painter` (the caller scaled it to its device).
using Draw = std::function<void(QPainter& painter, QSizeF layout)>;

bool writePng(const QString& path, QSize pixels, QSizeF layout, const Draw& draw, QString* error) {
  QImage image(pixels, QImage::Format_ARGB32_Premultiplied);
  image.setDevicePixelRatio(1.0);
  image.fill(Qt::white);
  {
    QPainter painter(&image);
    painter.scale(pixels.width() / layout.width(), pixels.height() / layout.height());
    draw(painter, layout);
  }
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly))
    return fail(error, "cannot write " + path + ": " + file.errorString());
  if (!image.save(&file, "PNG") || !file.commit())
    return fail(error, "cannot write the image " + path + ": " + file.errorString());
  return true;
}

bool writeSvg(const QString& path, QSizeF mm, QSizeF layout, int dpi, const QString& title,
              const Draw& draw, QString* error) {
  QBuffer buffer;
  buffer.open(QIODevice::WriteOnly);
  QSvgGenerator svg;
  svg.setOutputDevice(&buffer);
  svg.setResolution(dpi);
  svg.setSize(QSizeF(mm.width() * dpi / 25.4, mm.height() * dpi / 25.4).toSize());
  svg.setViewBox(QRectF(QPointF(0, 0), layout));
  svg.setTitle(title.isEmpty() ? "Ridgeline chart" : title);
  svg.setDescription("Exported by Ridgeline");
  {
    QPainter painter;
    if (!painter.begin(&svg)) return fail(error, "cannot start the SVG " + path);
    painter.fillRect(QRectF(QPointF(0, 0), layout), Qt::white);
    draw(painter, layout);
    painter.end();
  }
  // QSvgGenerator derives width/height from an integer pixel size: write the exact mm.
  QString text = QString::fromUtf8(buffer.data());
  static const QRegularExpression size_attrs(R"(<svg width="[^"]*" height="[^"]*")");
  text.replace(size_attrs, QString(R"(<svg width="%1mm" height="%2mm")")
                               .arg(QString::number(mm.width(), 'g', 6),
                                    QString::number(mm.height(), 'g', 6)));
  return write_text_file(path, text, error);
}

/// The charts stacked top to bottom, each laid out at `panel` layout units.
Draw stacked(const QList<QChartView*>& views, QSizeF panel) {
  return [views, panel](QPainter& painter, QSizeF) {
    for (int i = 0; i < views.size(); ++i)
      paintChart(views[i], painter, QRectF(QPointF(0, i * panel.height()), panel), panel);
  };
}

}  // namespace

bool export_chart_png(QChartView* view, const QString& path, QSize pixels, QString* error) {
  if (!checkView(view, path, error)) return false;
  if (pixels.isEmpty()) return fail(error, "empty image size for " + path);
  const QSizeF layout = layoutFor(pixels);
  return writePng(path, pixels, layout, stacked({view}, layout), error);
}

bool export_chart_svg(QChartView* view, const QString& path, QSizeF mm, QString* error) {
  if (!checkView(view, path, error)) return false;
  if (mm.isEmpty()) return fail(error, "empty figure size for " + path);
  const QSizeF layout = layoutFor(mm);
  // Fonts are sized by the generator's resolution: use the view's, so text keeps the size the
  // chart was laid out for. The physical size is set exactly below.
  const int dpi = view->logicalDpiX() > 0 ? view->logicalDpiX() : 96;
  return writeSvg(path, mm, layout, dpi, view->chart()->title(), stacked({view}, layout), error);
}

bool export_chart(QChartView* view, const QString& path, QString* error) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == "png") return export_chart_png(view, path, kExportPixels, error);
  if (suffix == "svg") return export_chart_svg(view, path, kExportMillimetres, error);
  return fail(error, "cannot export a chart to '" + path + "': the name must end in .png or .svg");
}

bool export_charts(const QList<QChartView*>& views, const QString& path, QString* error) {
  if (views.isEmpty()) return fail(error, "no chart to export to " + path);
  if (views.size() == 1) return export_chart(views.front(), path, error);
  for (QChartView* v : views)
    if (!checkView(v, path, error)) return false;
  const QString suffix = QFileInfo(path).suffix().toLower();
  const auto n = static_cast<double>(views.size());
  const QSizeF panel(kExportLayout.width(), kExportPanelHeight);
  const QSizeF layout(panel.width(), panel.height() * n);
  QStringList titles;
  for (QChartView* v : views) titles << v->chart()->title();
  if (suffix == "png")
    return writePng(path, QSize(kExportPixels.width(), static_cast<int>(std::lround(
                                                            kExportPixels.width() * layout.height() /
                                                            layout.width()))),
                    layout, stacked(views, panel), error);
  if (suffix == "svg") {
    const QSizeF mm(kExportMillimetres.width(),
                    kExportMillimetres.width() * layout.height() / layout.width());
    const int dpi = views.front()->logicalDpiX() > 0 ? views.front()->logicalDpiX() : 96;
    return writeSvg(path, mm, layout, dpi, titles.join(" · "), stacked(views, panel), error);
  }
  return fail(error, "cannot export a chart to '" + path + "': the name must end in .png or .svg");
}

QString interpolation_csv(const InterpolationResult& r) {
  QStringList header{"alpha"};
  if (r.train) header << "train_loss" << "train_error";
  if (r.test) header << "test_loss" << "test_error";
  QString out = header.join(',') + '\n';
  auto at = [](const std::vector<double>& v, size_t i) {
    return i < v.size() ? number(v[i]) : QString();
  };
  for (size_t i = 0; i < r.alpha.size(); ++i) {
    QStringList row{number(r.alpha[i])};
    if (r.train) row << at(r.train->loss, i) << at(r.train->error, i);
    if (r.test) row << at(r.test->loss, i) << at(r.test->error, i);
    out += row.join(',') + '\n';
  }
  return out;
}

QString paths_csv(const QList<QPair<QString, InterpolationResult>>& paths, bool train_split,
                  bool error) {
  QStringList header{"alpha"};
  for (const auto& [id, r] : paths) {
    const SplitCurve* c = preferred_split(r, train_split);
    const bool is_test = c && r.test && c == &*r.test;
    header << csvField(id + (is_test ? ":test" : ":train") + (error ? "_error" : "_loss"));
  }
  QString out = header.join(',') + '\n';
  if (paths.isEmpty()) return out;
  const std::vector<double>& alpha = paths.front().second.alpha;
  for (size_t i = 0; i < alpha.size(); ++i) {
    QStringList row{number(alpha[i])};
    for (const auto& [id, r] : paths) {
      const SplitCurve* c = preferred_split(r, train_split);
      const bool same = i < r.alpha.size() && r.alpha[i] == alpha[i];
      const std::vector<double>* v = c ? (error ? &c->error : &c->loss) : nullptr;
      row << ((v && same && i < v->size()) ? number((*v)[i]) : QString());
    }
    out += row.join(',') + '\n';
  }
  return out;
}

QString alignment_csv(const std::vector<std::pair<std::string, AlignmentReport>>& reports) {
  QString out = "step,method,sweeps,seconds,objective_before,objective_after,l2_before,l2_after,"
                "max_abs_logit_diff,function_passed,layer,size,moved,gain\n";
  for (const auto& [id, r] : reports)
    for (const auto& layer : r.layers)
      out += QStringList{csvField(QString::fromStdString(id)),
                         csvField(QString::fromStdString(r.method)),
                         QString::number(r.sweeps),
                         number(r.seconds),
                         number(r.objective_before),
                         number(r.objective_after),
                         number(r.l2_before),
                         number(r.l2_after),
                         number(r.function_max_diff),
                         r.function_passed ? "true" : "false",
                         csvField(QString::fromStdString(layer.name)),
                         QString::number(layer.size),
                         QString::number(layer.moved),
                         number(layer.gain)}
                 .join(',') +
             '\n';
  return out;
}

QString training_csv(const std::vector<std::pair<std::string, std::vector<EpochMetrics>>>& runs) {
  bool distilled = false;  // a distill_loss column only when some model was distilled
  for (const auto& [model, epochs] : runs)
    for (const auto& e : epochs) distilled |= std::isfinite(e.distill_loss);
  QString out = "model,epoch,train_loss,train_error,test_loss,test_error,lr,seconds";
  out += distilled ? ",distill_loss\n" : "\n";
  for (const auto& [model, epochs] : runs)
    for (const auto& e : epochs) {
      const bool tested = e.test_loss >= 0;
      QStringList row{csvField(QString::fromStdString(model)), QString::number(e.epoch),
                      number(e.train_loss), number(e.train_error),
                      tested ? number(e.test_loss) : QString(),
                      tested ? number(e.test_error) : QString(), number(e.lr), number(e.seconds)};
      if (distilled) row << (std::isfinite(e.distill_loss) ? number(e.distill_loss) : QString());
      out += row.join(',') + '\n';
    }
  return out;
}

QString barriers_csv(const QList<QPair<QString, InterpolationResult>>& paths) {
  // The names of the run folder's results/barriers.csv (docs/USER_GUIDE.md, "Barriers").
  QString out = "path,split,loss_lin,loss_mid,error_lin,error_mid,loss_alpha,error_alpha,loss_a,"
                "loss_b\n";
  auto row = [&out](const QString& id, const char* split, const SplitCurve& c) {
    const QString start = c.loss.empty() ? QString() : number(c.loss.front());
    const QString end = c.loss.empty() ? QString() : number(c.loss.back());
    out += QStringList{csvField(id),
                       split,
                       number(c.barriers.loss_lin),
                       number(c.barriers.loss_mid),
                       number(c.barriers.error_lin),
                       number(c.barriers.error_mid),
                       number(c.barriers.loss_alpha),
                       number(c.barriers.error_alpha),
                       start,
                       end}
               .join(',') +
           '\n';
  };
  for (const auto& [id, r] : paths) {
    if (r.test) row(id, "test", *r.test);
    if (r.train) row(id, "train", *r.train);
  }
  return out;
}

bool write_text_file(const QString& path, const QString& text, QString* error) {
  if (path.isEmpty()) return fail(error, "empty file name");
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Text))
    return fail(error, "cannot write " + path + ": " + file.errorString());
  const QByteArray bytes = text.toUtf8();
  if (file.write(bytes) != bytes.size() || !file.commit())
    return fail(error, "cannot write " + path + ": " + file.errorString());
  return true;
}

QString barriers_path_for(const QString& csv_path) {
  const QFileInfo info(csv_path);
  const QString base = info.suffix().compare("csv", Qt::CaseInsensitive) == 0
                           ? info.completeBaseName()
                           : info.fileName();
  return info.dir().filePath(base + "-barriers.csv");
}

}  // namespace ridgeline::gui
