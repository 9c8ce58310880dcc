// The batch sampler shared by training and STE: batch counts with and without drop_last,
// every row exactly once per epoch (drop_last: at most once), the gathered rows and labels
// are the data's, the shuffle is seeded and differs between epochs, the shuffle is the
// Fisher–Yates draw batch_sampler.h documents.
#include <QtTest>
#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/train/batch_sampler.h"

using namespace ridgeline;

namespace {

// A data set whose row i holds the values i·dim … i·dim + dim − 1 and label i mod classes,
// so that a gathered row names the sample it came from.
Dataset numbered(int n, int dim, int classes) {
  Dataset d;
  d.name = "numbered";
  d.n = n;
  d.dim = dim;
  d.classes = classes;
  d.x.resize(static_cast<size_t>(n) * dim);
  d.y.resize(n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < dim; ++j) d.x[static_cast<size_t>(i) * dim + j] = static_cast<float>(i * dim + j);
    d.y[i] = i % classes;
  }
  return d;
}

// The sample indices of one epoch's batches, read back from the device buffers.
std::vector<std::vector<int>> epoch_rows(Backend& be, BatchSampler& s, const Dataset& d) {
  std::vector<std::vector<int>> out;
  s.shuffle();
  for (int b = 0; b < s.steps_per_epoch(); ++b) {
    const int rows = s.gather(b);
    std::vector<float> x(static_cast<size_t>(rows) * d.dim), y(rows);
    be.download(x.data(), s.x(), x.size());
    be.download(y.data(), s.y(), y.size());
    std::vector<int> idx;
    for (int r = 0; r < rows; ++r) {
      const int i = static_cast<int>(x[static_cast<size_t>(r) * d.dim]) / d.dim;
      for (int j = 0; j < d.dim; ++j)
        if (x[static_cast<size_t>(r) * d.dim + j] != d.x[static_cast<size_t>(i) * d.dim + j])
          qFatal("row %d of batch %d is not sample %d", r, b, i);
      if (static_cast<int>(y[r]) != d.y[i]) qFatal("label of row %d of batch %d", r, b);
      idx.push_back(i);
    }
    out.push_back(idx);
  }
  return out;
}

}  // namespace

class TestBatchSampler : public QObject {
  Q_OBJECT
 private slots:
  void batchCounts() {
    auto be = make_backend("cpu", 1);
    const Dataset d = numbered(103, 3, 4);
    QCOMPARE(BatchSampler(*be, d, 10, 0).steps_per_epoch(), 11);        // ⌈103/10⌉
    QCOMPARE(BatchSampler(*be, d, 10, 0, true).steps_per_epoch(), 10);  // ⌊103/10⌋
    QCOMPARE(BatchSampler(*be, d, 103, 0, true).steps_per_epoch(), 1);
    BatchSampler big(*be, d, 500, 0, true);  // clamped to the data: one full batch
    QCOMPARE(big.batch(), 103);
    QCOMPARE(big.steps_per_epoch(), 1);
    QCOMPARE(BatchSampler(*be, d, 1, 0).steps_per_epoch(), 103);
    QVERIFY_THROWS_EXCEPTION(InputError, (void)BatchSampler(*be, d, 0, 0));
    Dataset empty = numbered(0, 3, 4);
    QVERIFY_THROWS_EXCEPTION(InputError, (void)BatchSampler(*be, empty, 10, 0));
  }

  void everyRowOncePerEpoch() {
    auto be = make_backend("cpu", 1);
    const Dataset d = numbered(103, 3, 4);
    for (bool drop_last : {false, true}) {
      BatchSampler s(*be, d, 10, 42, drop_last);
      std::vector<std::vector<int>> previous;
      for (int epoch = 1; epoch <= 3; ++epoch) {
        const auto batches = epoch_rows(*be, s, d);
        QCOMPARE(static_cast<int>(batches.size()), drop_last ? 10 : 11);
        std::multiset<int> seen;
        for (size_t b = 0; b < batches.size(); ++b) {
          QCOMPARE(static_cast<int>(batches[b].size()), b + 1 < 11 ? 10 : 3);
          seen.insert(batches[b].begin(), batches[b].end());
        }
        QCOMPARE(static_cast<int>(seen.size()), drop_last ? 100 : 103);
        QCOMPARE(std::set<int>(seen.begin(), seen.end()).size(), seen.size());  // no repeats
        QVERIFY(batches != previous);  // a new order each epoch
        previous = batches;
      }
    }
  }

  void seededAndDocumentedShuffle() {
    auto be = make_backend("cpu", 1);
    const Dataset d = numbered(57, 2, 3);
    BatchSampler a(*be, d, 8, 7), b(*be, d, 8, 7), c(*be, d, 8, 8);
    // The documented draw: Fisher–Yates over the carried-over order with j = rng() mod (i+1).
    std::vector<int> order(57);
    for (int i = 0; i < 57; ++i) order[i] = i;
    std::mt19937_64 rng(7);
    for (int epoch = 0; epoch < 2; ++epoch) {
      for (int i = 56; i > 0; --i) std::swap(order[i], order[rng() % (i + 1)]);
      const auto ra = epoch_rows(*be, a, d), rb = epoch_rows(*be, b, d), rc = epoch_rows(*be, c, d);
      QVERIFY(ra == rb);
      QVERIFY(ra != rc);
      std::vector<int> flat;
      for (const auto& batch : ra) flat.insert(flat.end(), batch.begin(), batch.end());
      QCOMPARE(flat, order);
    }
  }

  void epochPosition() {
    auto be = make_backend("cpu", 1);
    const Dataset d = numbered(40, 2, 2);
    BatchSampler s(*be, d, 10, 0);
    QCOMPARE(s.epoch_position(1, 0), 0.0);
    QCOMPARE(s.epoch_position(1, 2), 0.5);
    QCOMPARE(s.epoch_position(3, 3), 2.75);
  }
};

QTEST_APPLESS_MAIN(TestBatchSampler)
#include "test_batch_sampler.moc"
