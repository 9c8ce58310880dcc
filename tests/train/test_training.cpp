// Training: determinism, learning a synthetic task, schedules, divergence and cancel.
// (Accuracy on Fashion-MNIST: test_training_fashion_mnist.cpp, skipped without the data.)
#include <QtTest>
#include <cmath>
#include <filesystem>

#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/train/evaluate.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/train/train.h"
#include "test_support.h"

using namespace ridgeline;

class TestTraining : public QObject {
  Q_OBJECT
 private slots:
  void sameSeedSameBytes() {
    test::ScratchDir dir("determinism");
    DataSplits d = make_gaussian_mixture(700, 100, 10, 4, 3);
    TrainConfig cfg;
    cfg.epochs = 2;
    cfg.batch = 50;
    for (OptimizerKind opt : {OptimizerKind::Adam, OptimizerKind::Sgd}) {
      cfg.optimizer = opt;
      cfg.lr = opt == OptimizerKind::Adam ? 1e-3 : 0.05;
      std::string files[3];
      for (int i = 0; i < 3; ++i) {
        auto be = make_backend("cpu", 2);
        TrainResult r = train_mlp(*be, parse_arch("mlp:10,64,64,4"), d, cfg, i < 2 ? 7 : 8);
        files[i] = dir.file(std::string("m").append(std::to_string(i)).append(".safetensors"));  // (GCC 12 -Wrestrict false positive on operator+)
        save_mlp(files[i], r.model);
      }
      QVERIFY(read_file(files[0]) == read_file(files[1]));
      QVERIFY(read_file(files[0]) != read_file(files[2]));
    }
  }

  void learnsSyntheticTask() {
    auto be = make_backend("cpu", 2);
    DataSplits d = make_gaussian_mixture(2000, 500, 10, 4, 1);
    const LossError before = evaluate(*be, to_model(init_mlp(parse_arch("mlp:10,32,4"), 0)), d.test);
    TrainConfig cfg;
    cfg.optimizer = OptimizerKind::Sgd;
    cfg.lr = 0.05;
    cfg.epochs = 5;
    cfg.batch = 32;
    TrainResult r = train_mlp(*be, parse_arch("mlp:10,32,4"), d, cfg, 0);
    const LossError after = evaluate(*be, to_model(r.model), d.test);
    QVERIFY(after.loss < 0.5 * before.loss);
    QVERIFY(r.epochs.back().train_loss < r.epochs.front().train_loss);
  }

  void schedules() {
    TrainConfig c;
    c.lr = 0.1;
    c.epochs = 10;
    c.schedule = Schedule::Triangular;
    c.warmup_epochs = 5;
    QCOMPARE(learning_rate_at(c, 0), 0.0);
    QCOMPARE(learning_rate_at(c, 2.5), 0.05);
    QCOMPARE(learning_rate_at(c, 5), 0.1);
    QCOMPARE(learning_rate_at(c, 7.5), 0.05);
    c.schedule = Schedule::Cosine;
    QCOMPARE(learning_rate_at(c, 5), 0.05);
    c.schedule = Schedule::Step;
    c.step_every = 3;
    c.step_gamma = 0.5;
    QCOMPARE(learning_rate_at(c, 6.5), 0.025);
  }

  void divergenceNamesEpochAndStep() {
    auto be = make_backend("cpu", 1);
    DataSplits d = make_gaussian_mixture(200, 50, 5, 3, 2);
    TrainConfig cfg;
    cfg.optimizer = OptimizerKind::Sgd;
    cfg.lr = 1e30;
    cfg.momentum = 0;
    cfg.epochs = 3;
    cfg.batch = 20;
    try {
      train_mlp(*be, parse_arch("mlp:5,16,3"), d, cfg, 0);
      QFAIL("expected divergence");
    } catch (const RunError& e) {
      const std::string m = e.what();
      QVERIFY2(m.find("epoch 1") != std::string::npos && m.find("step") != std::string::npos, e.what());
    }
  }

  void invalidHyperParameters() {
    TrainConfig cfg;
    cfg.lr = std::nan("");
    QVERIFY_THROWS_EXCEPTION(InputError, cfg.validate("t"));
    cfg.lr = INFINITY;
    QVERIFY_THROWS_EXCEPTION(InputError, cfg.validate("t"));
    cfg.lr = 0.1;
    cfg.momentum = 1.0;
    QVERIFY_THROWS_EXCEPTION(InputError, cfg.validate("t"));
  }

  void cancelStopsTraining() {
    auto be = make_backend("cpu", 1);
    DataSplits d = make_gaussian_mixture(1000, 50, 5, 3, 2);
    CancelToken token;
    TrainConfig cfg;
    cfg.epochs = 5;
    cfg.batch = 10;
    TrainCallbacks cb;
    long long seen = 0;
    cb.on_step = [&](const StepMetrics& s) {
      seen = s.step;
      if (s.step == 15) token.cancel();
    };
    QVERIFY_THROWS_EXCEPTION(Cancelled, train_mlp(*be, parse_arch("mlp:5,8,3"), d, cfg, 0, cb, &token));
    QCOMPARE(seen, 15LL);
  }

  void dataMismatchIsInputError() {
    auto be = make_backend("cpu", 1);
    DataSplits d = make_gaussian_mixture(100, 50, 5, 3, 2);
    QVERIFY_THROWS_EXCEPTION(InputError, train_mlp(*be, parse_arch("mlp:6,8,3"), d, {}, 0));
    QVERIFY_THROWS_EXCEPTION(InputError, train_mlp(*be, parse_arch("mlp:5,8,2"), d, {}, 0));
  }
};

QTEST_APPLESS_MAIN(TestTraining)
#include "test_training.moc"
