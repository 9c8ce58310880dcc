#pragma once
/// @file figure_render.h
/// Draws a figure description (figure.h) with QPainter, exactly at width × height mm with every
/// text at the font size in points, onto a vector PDF (QPdfWriter: text stays text), an SVG
/// (QSvgGenerator: real <text> elements) or a PNG whose pHYs chunk states its dpi. Needs a
/// QGuiApplication (fonts); no widgets.
#include <QByteArray>
#include <QImage>
#include <QString>

#include "widgets/figure/figure.h"

class QPainter;

namespace ridgeline::figure {

/// Paints `fig` on `painter`, whose device has `device_dpi` logical dots per inch and is
/// width_mm × height_mm large (the painter must have no transform yet).
void paint_figure(QPainter& painter, const Figure& fig, const FigureSize& size, double device_dpi);

/// The height (mm) at which a figure whose panels all keep one scale on both axes
/// (Panel::equal_aspect, linear axes: attention maps, overlap heatmaps, planes) fills its
/// width: every plot as wide as its panel allows and as tall as that makes it, with room for
/// the tick labels, titles and legends, so that nothing is left empty above or beside the
/// plots. Rounded up to 0.1 mm, within 20..500 mm. Any other figure: size.height_mm. Needs a
/// QGuiApplication (fonts).
double fitted_height_mm(const Figure& fig, const FigureSize& size);

/// round(mm / 25.4 × dpi): the pixel size of a PNG.
int pixels_for(double mm, int dpi);

/// The figure as an opaque image at size.dpi (dots per metre set, so a PNG states the dpi).
QImage render_image(const Figure& fig, const FigureSize& size);
/// A one-page PDF of exactly the size (text as text).
QByteArray render_pdf(const Figure& fig, const FigureSize& size);
/// An SVG whose width/height are the size in mm (text as <text>).
QByteArray render_svg(const Figure& fig, const FigureSize& size);

/// Writes `fig` to `path` as PDF, SVG or PNG by its suffix, atomically (QSaveFile). False with
/// a one-line reason naming the file.
bool write_figure(const Figure& fig, const FigureSize& size, const QString& path, QString* error);

}  // namespace ridgeline::figure
