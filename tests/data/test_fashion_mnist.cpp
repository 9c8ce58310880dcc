// Fashion-MNIST as the Debian package installs it: sizes, ranges, known labels and pixels,
// and seeded subsets. Exits 77 (ctest: skipped) when the data is not installed.
#include <QtTest>
#include <algorithm>
#include <cmath>

#include "ridgeline/data/dataset.h"
#include "test_support.h"

using namespace ridgeline;

class TestFashionMnist : public QObject {
  Q_OBJECT
 private slots:
  void fashionMnist() {
    DataSplits s = load_data("fashion-mnist");
    QCOMPARE(s.train.n, 60000);
    QCOMPARE(s.test.n, 10000);
    QCOMPARE(s.train.dim, 784);
    QCOMPARE(s.test.dim, 784);
    QCOMPARE(s.train.classes, 10);
    QCOMPARE(s.test.classes, 10);
    QCOMPARE(s.train.x.size(), size_t(60000) * 784);
    QCOMPARE(s.test.x.size(), size_t(10000) * 784);
    QCOMPARE(s.train.name, std::string("fashion-mnist/train"));
    for (const Dataset* d : {&s.train, &s.test}) {
      const auto [lo, hi] = std::minmax_element(d->x.begin(), d->x.end());
      QCOMPARE(*lo, 0.0f);
      QCOMPARE(*hi, 1.0f);
      for (int32_t y : d->y) QVERIFY(y >= 0 && y < 10);
    }
    // Known first labels (ankle boot, T-shirt, ...) and the first image's pixel sum.
    QCOMPARE(std::vector<int32_t>(s.train.y.begin(), s.train.y.begin() + 6),
             (std::vector<int32_t>{9, 0, 0, 3, 0, 2}));
    QCOMPARE(std::vector<int32_t>(s.test.y.begin(), s.test.y.begin() + 4),
             (std::vector<int32_t>{9, 2, 1, 1}));
    double sum = 0;
    for (int j = 0; j < 784; ++j) sum += s.train.x[j] * 255.0;
    QVERIFY(std::abs(sum - 76247.0) < 1e-2);

    DataOptions opt;
    opt.train_subset = 1000;
    opt.test_subset = 500;
    opt.subset_seed = 3;
    DataSplits sub = load_data("fashion-mnist", opt);
    QCOMPARE(sub.train.n, 1000);
    QCOMPARE(sub.test.n, 500);
    QCOMPARE(sub.train.classes, 10);
    QCOMPARE(sub.train.x, subset(s.train, 1000, 3).x);
  }
};

RIDGELINE_DATA_TEST_MAIN(TestFashionMnist, ridgeline::test::have_fashion_mnist(),
                         "Fashion-MNIST not installed (Debian package dataset-fashion-mnist, "
                         "or set RIDGELINE_FASHION_MNIST_DIR)")
#include "test_fashion_mnist.moc"
