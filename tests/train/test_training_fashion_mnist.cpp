// Training on Fashion-MNIST: one epoch reaches the accuracy a 784-256-10 MLP should.
// Exits 77 (ctest: skipped) when the data is not installed.
#include <QtTest>
#include <cmath>

#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/train/evaluate.h"
#include "ridgeline/train/train.h"
#include "test_support.h"

using namespace ridgeline;

class TestTrainingFashionMnist : public QObject {
  Q_OBJECT
 private slots:
  void fashionMnistOneEpoch() {
    auto be = make_backend("cpu", 0);
    DataSplits d = load_data("fashion-mnist");
    TrainConfig cfg;  // Adam 1e-3, batch 128
    cfg.epochs = 1;
    TrainResult r = train_mlp(*be, parse_arch("mlp:784,256,10"), d, cfg, 0);
    const LossError e = evaluate(*be, to_model(r.model), d.test);
    qInfo("one epoch 784-256-10: test accuracy %.2f%%, %.0f samples/s", 100 * (1 - e.error),
          r.samples_per_second);
    QVERIFY2(e.error <= 0.16, qPrintable(QString("test accuracy %1").arg(1 - e.error)));
    QCOMPARE(r.epochs.size(), size_t(1));
    QCOMPARE(r.epochs[0].test_error, e.error);
    QCOMPARE(r.epochs[0].test_loss, e.loss);  // the same evaluation (batch 2000) of the same model
    QVERIFY(std::isfinite(r.epochs[0].train_loss) && r.epochs[0].train_error <= 0.25);
    QVERIFY(r.samples_per_second > 0);
  }
};

RIDGELINE_DATA_TEST_MAIN(TestTrainingFashionMnist, ridgeline::test::have_fashion_mnist(),
                         "Fashion-MNIST not installed (Debian package dataset-fashion-mnist, "
                         "or set RIDGELINE_FASHION_MNIST_DIR)")
#include "test_training_fashion_mnist.moc"
