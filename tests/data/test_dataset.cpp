// IDX files (plain and gzipped), MNIST-format folders, Gaussian mixtures, subsets and data
// options. (Fashion-MNIST itself: test_fashion_mnist.cpp, skipped without the data.)
#include <QtTest>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "ridgeline/data/dataset.h"
#include "ridgeline/core/errors.h"
#include "test_support.h"

using namespace ridgeline;
using ridgeline::test::ScratchDir;

namespace {

std::string idx_bytes(uint32_t magic, const std::vector<uint32_t>& dims,
                      const std::vector<uint8_t>& data) {
  std::string s;
  auto be = [&](uint32_t v) {
    for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  be(magic);
  for (auto d : dims) be(d);
  s.append(reinterpret_cast<const char*>(data.data()), data.size());
  return s;
}

void write_plain(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  QVERIFY(f != nullptr);
  QCOMPARE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
           static_cast<int>(bytes.size()));
  QCOMPARE(gzclose(f), Z_OK);
}

/// Expects InputError whose message starts with `path` and contains `part`.
template <typename F>
void expect_input_error(const std::string& path, const std::string& part, F&& f) {
  try {
    f();
    QFAIL(("no InputError for " + path + " (" + part + ")").c_str());
  } catch (const InputError& e) {
    const std::string msg = e.what();
    QVERIFY2(msg.find(path) != std::string::npos, msg.c_str());
    QVERIFY2(msg.find(part) != std::string::npos, msg.c_str());
    QVERIFY2(msg.find('\n') == std::string::npos, msg.c_str());
  }
}

std::vector<uint8_t> ramp(size_t n, int mul = 37) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((i * mul) % 256);
  return v;
}

/// A tiny MNIST-format folder: train 5 images of 2×3, test 3; train gzipped, test plain.
void make_idx_dir(const std::filesystem::path& dir, int test_labels = 3) {
  std::filesystem::create_directories(dir);
  write_gz((dir / "train-images-idx3-ubyte.gz").string(), idx_bytes(0x803, {5, 2, 3}, ramp(30)));
  write_gz((dir / "train-labels-idx1-ubyte.gz").string(), idx_bytes(0x801, {5}, {0, 1, 2, 1, 0}));
  write_plain((dir / "t10k-images-idx3-ubyte").string(), idx_bytes(0x803, {3, 2, 3}, ramp(18, 11)));
  std::vector<uint8_t> tl{3, 0, 1, 2, 2};
  tl.resize(test_labels);
  write_plain((dir / "t10k-labels-idx1-ubyte").string(),
              idx_bytes(0x801, {static_cast<uint32_t>(test_labels)}, tl));
}

}  // namespace

class TestDataset : public QObject {
  Q_OBJECT
 private slots:
  void readIdxPlainAndGz() {
    ScratchDir dir("dataset");
    const auto data = ramp(2 * 3 * 4);
    const std::string bytes = idx_bytes(0x803, {2, 3, 4}, data);
    write_plain(dir.file("a.idx"), bytes);
    write_gz(dir.file("a.idx.gz"), bytes);
    for (const char* name : {"a.idx", "a.idx.gz"}) {
      IdxArray a = read_idx(dir.file(name));
      QCOMPARE(a.shape, (std::vector<int64_t>{2, 3, 4}));
      QCOMPARE(a.data, data);
    }
    write_plain(dir.file("l.idx"), idx_bytes(0x801, {4}, {9, 8, 7, 6}));
    IdxArray l = read_idx(dir.file("l.idx"));
    QCOMPARE(l.shape, (std::vector<int64_t>{4}));
    QCOMPARE(l.data, (std::vector<uint8_t>{9, 8, 7, 6}));
  }

  void readIdxErrors() {
    ScratchDir dir("dataset");
    const std::string full = idx_bytes(0x803, {2, 3, 4}, ramp(24));
    write_plain(dir.file("trunc"), full.substr(0, full.size() - 1));
    expect_input_error(dir.file("trunc"), "truncated", [&] { read_idx(dir.file("trunc")); });
    write_gz(dir.file("trunc.gz"), full.substr(0, full.size() - 5));
    expect_input_error(dir.file("trunc.gz"), "truncated", [&] { read_idx(dir.file("trunc.gz")); });
    write_plain(dir.file("hdr"), full.substr(0, 10));
    expect_input_error(dir.file("hdr"), "truncated", [&] { read_idx(dir.file("hdr")); });
    write_plain(dir.file("tiny"), "ab");
    expect_input_error(dir.file("tiny"), "too short", [&] { read_idx(dir.file("tiny")); });
    write_plain(dir.file("magic"), idx_bytes(0x0d03, {2, 3, 4}, ramp(24)));
    expect_input_error(dir.file("magic"), "bad IDX magic", [&] { read_idx(dir.file("magic")); });
    write_plain(dir.file("extra"), full + "zz");
    expect_input_error(dir.file("extra"), "unexpected bytes", [&] { read_idx(dir.file("extra")); });
    // Huge dimensions must not overflow into a "valid" size.
    write_plain(dir.file("huge"), idx_bytes(0x803, {0xffffffffu, 0xffffffffu, 0xffffffffu}, {}));
    expect_input_error(dir.file("huge"), "truncated", [&] { read_idx(dir.file("huge")); });
    expect_input_error(dir.file("missing"), "cannot read", [&] { read_idx(dir.file("missing")); });
    // A gzip stream cut in half.
    write_gz(dir.file("cut.gz"), idx_bytes(0x803, {20, 20, 20}, ramp(8000, 7)));
    std::string gz;
    {
      std::ifstream in(dir.file("cut.gz"), std::ios::binary);
      gz.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    write_plain(dir.file("cut.gz"), gz.substr(0, gz.size() / 2));
    expect_input_error(dir.file("cut.gz"), "", [&] { read_idx(dir.file("cut.gz")); });
  }

  void loadIdxDir() {
    ScratchDir scratch("dataset");
    const auto dir = scratch.path() / "tiny";
    make_idx_dir(dir);
    DataSplits s = load_idx_dir(dir.string());
    QCOMPARE(s.train.n, 5);
    QCOMPARE(s.train.dim, 6);
    QCOMPARE(s.test.n, 3);
    QCOMPARE(s.test.dim, 6);
    QCOMPARE(s.train.classes, 4);  // max label over both splits is 3
    QCOMPARE(s.test.classes, 4);
    QCOMPARE(s.train.name, std::string("tiny/train"));
    QCOMPARE(s.test.name, std::string("tiny/test"));
    QCOMPARE(s.train.y, (std::vector<int32_t>{0, 1, 2, 1, 0}));
    QCOMPARE(s.test.y, (std::vector<int32_t>{3, 0, 1}));
    const auto tr = ramp(30), te = ramp(18, 11);
    QCOMPARE(s.train.x.size(), size_t(30));
    for (size_t i = 0; i < 30; ++i) QCOMPARE(s.train.x[i], tr[i] / 255.0f);
    for (size_t i = 0; i < 18; ++i) QCOMPARE(s.test.x[i], te[i] / 255.0f);
    // load_data resolves a folder path too.
    DataSplits t = load_data(dir.string() + "/");
    QCOMPARE(t.train.x, s.train.x);
    QCOMPARE(t.train.name, std::string("tiny/train"));
  }

  void loadIdxDirErrors() {
    ScratchDir scratch("dataset");
    const auto dir = scratch.path() / "bad";
    make_idx_dir(dir, 2);  // 3 test images, 2 labels
    expect_input_error((dir / "t10k-labels-idx1-ubyte").string(), "2 labels for 3 images",
                       [&] { load_idx_dir(dir.string()); });
    std::filesystem::remove(dir / "t10k-labels-idx1-ubyte");
    expect_input_error(dir.string(), "t10k-labels-idx1-ubyte",
                       [&] { load_idx_dir(dir.string()); });
    expect_input_error("no-such-data", "unknown data set", [] { load_data("no-such-data"); });
    for (const char* bad : {"gmm:", "gmm:1,2,3", "gmm:10,10,4,3,x", "gmm:10,10,4,1,0",
                            "gmm:10,10,0,3,1", "gmm:-5,10,4,3,1", "gmm:10,10,4,3,1,9"})
      expect_input_error(bad, bad, [&] { load_data(bad); });
    // Issue 9: a size that cannot be held is bad input before any allocation (was bad_alloc,
    // exit 1), for data_shape (the spec check) as for load_data.
    const char* huge = "gmm:100000000,100000000,100000,3,1";
    expect_input_error(huge, "limited to 2^31 values", [&] { data_shape(huge); });
    expect_input_error(huge, "limited to 2^31 values", [&] { load_data(huge); });
  }

  void idxEmptyOrHugeSplitsAreInputErrors() {
    ScratchDir scratch("dataset");
    const auto dir = scratch.path() / "empty";
    make_idx_dir(dir);
    // 0 test images (and labels): was an "accuracy" of 0/0; now names the file.
    write_plain((dir / "t10k-images-idx3-ubyte").string(), idx_bytes(0x803, {0, 2, 3}, {}));
    write_plain((dir / "t10k-labels-idx1-ubyte").string(), idx_bytes(0x801, {0}, {}));
    expect_input_error((dir / "t10k-images-idx3-ubyte").string(), "holds no images",
                       [&] { load_idx_dir(dir.string()); });
    // 0 images of 0xffffffff×0xffffffff pixels: a valid-looking 16-byte file whose
    // rows*cols overflowed int64 (undefined behaviour; UBSan caught it).
    write_plain((dir / "t10k-images-idx3-ubyte").string(),
                idx_bytes(0x803, {0, 0xffffffffu, 0xffffffffu}, {}));
    expect_input_error((dir / "t10k-images-idx3-ubyte").string(), "holds no images",
                       [&] { load_idx_dir(dir.string()); });
    // The product is checked wherever the arrays come from.
    IdxArray img{{1, 0xffffffffLL, 0xffffffffLL}, {}}, lab{{1}, {0}};
    expect_input_error("i.idx", "too large", [&] { idx_dataset("i.idx", img, "l.idx", lab, "x"); });
    img.shape = {1, 0, 7};
    expect_input_error("i.idx", "no pixels", [&] { idx_dataset("i.idx", img, "l.idx", lab, "x"); });
    // 0 train images, with the test split intact again.
    make_idx_dir(dir);
    write_gz((dir / "train-images-idx3-ubyte.gz").string(), idx_bytes(0x803, {0, 2, 3}, {}));
    write_gz((dir / "train-labels-idx1-ubyte.gz").string(), idx_bytes(0x801, {0}, {}));
    expect_input_error((dir / "train-images-idx3-ubyte.gz").string(), "holds no images",
                       [&] { load_idx_dir(dir.string()); });
  }

  void idxGzipChecksBeforeAllocating() {
    ScratchDir dir("dataset");
    // A 40-byte gzip file claiming 2^32 × 2^16 bytes: refused from its header (deflate
    // expands at most 1032:1), without inflating or allocating anything.
    write_gz(dir.file("lie.gz"), idx_bytes(0x803, {0xffffffffu, 0xffffu, 1}, {1, 2, 3}));
    expect_input_error(dir.file("lie.gz"), "truncated data", [&] { read_idx(dir.file("lie.gz")); });
    write_gz(dir.file("ovf.gz"), idx_bytes(0x803, {0xffffffffu, 0xffffffffu, 0xffffffffu}, {}));
    expect_input_error(dir.file("ovf.gz"), "more than 2^64", [&] { read_idx(dir.file("ovf.gz")); });
    // Bytes after the data inside the gzip stream, and garbage after the stream.
    write_gz(dir.file("extra.gz"), idx_bytes(0x801, {2}, {1, 2, 3}));
    expect_input_error(dir.file("extra.gz"), "unexpected bytes", [&] { read_idx(dir.file("extra.gz")); });
    write_gz(dir.file("ok.gz"), idx_bytes(0x801, {2}, {1, 2}));
    std::string gz;
    {
      std::ifstream in(dir.file("ok.gz"), std::ios::binary);
      gz.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    QCOMPARE(parse_idx("mem.gz", gz).data, (std::vector<uint8_t>{1, 2}));
    expect_input_error("junk.gz", "garbage after the gzip data", [&] { parse_idx("junk.gz", gz + "junk"); });
    // Two gzip members, as `cat a.gz b.gz` makes: one stream of data.
    write_gz(dir.file("b.gz"), std::string("\x03\x04", 2));
    std::string second;
    {
      std::ifstream in(dir.file("b.gz"), std::ios::binary);
      second.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    write_gz(dir.file("a.gz"), idx_bytes(0x801, {4}, {1, 2}));
    {
      std::ifstream in(dir.file("a.gz"), std::ios::binary);
      gz.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    QCOMPARE(parse_idx("cat.gz", gz + second).data, (std::vector<uint8_t>{1, 2, 3, 4}));
  }

  void fashionMnistLabelsMustBeBelowTen() {
    ScratchDir scratch("dataset");
    const auto dir = scratch.path() / "fm";
    make_idx_dir(dir);
    write_plain((dir / "t10k-labels-idx1-ubyte").string(), idx_bytes(0x801, {3}, {1, 12, 0}));
    qputenv("RIDGELINE_FASHION_MNIST_DIR", QByteArray::fromStdString(dir.string()));
    expect_input_error((dir / "t10k-labels-idx1-ubyte").string(),
                       "label 12 of sample 1 is out of range 0..9",
                       [&] { load_data("fashion-mnist"); });
    make_idx_dir(dir);
    const DataSplits s = load_data("fashion-mnist");
    QCOMPARE(s.train.classes, 10);  // what data_shape promises, whatever labels occur
    QCOMPARE(s.test.classes, 10);
    qunsetenv("RIDGELINE_FASHION_MNIST_DIR");
  }

  void gaussianMixtureDeterministic() {
    DataSplits a = make_gaussian_mixture(200, 50, 8, 3, 42);
    DataSplits b = make_gaussian_mixture(200, 50, 8, 3, 42);
    DataSplits c = make_gaussian_mixture(200, 50, 8, 3, 43);
    QCOMPARE(a.train.n, 200);
    QCOMPARE(a.test.n, 50);
    QCOMPARE(a.train.dim, 8);
    QCOMPARE(a.train.classes, 3);
    QCOMPARE(a.train.x.size(), size_t(1600));
    QCOMPARE(a.train.name, std::string("gmm/train"));
    QCOMPARE(a.test.name, std::string("gmm/test"));
    QVERIFY(std::memcmp(a.train.x.data(), b.train.x.data(), 1600 * sizeof(float)) == 0);
    QVERIFY(std::memcmp(a.test.x.data(), b.test.x.data(), 400 * sizeof(float)) == 0);
    QCOMPARE(a.train.y, b.train.y);
    QVERIFY(a.train.x != c.train.x);
    QVERIFY(a.train.x != a.test.x);
    std::vector<int> count(3, 0);
    for (int32_t y : a.train.y) {
      QVERIFY(y >= 0 && y < 3);
      ++count[y];
    }
    for (int k : count) QVERIFY(k > 30);  // roughly balanced
    for (float v : a.train.x) QVERIFY(std::isfinite(v));
    // The name form gives the same data.
    DataSplits d = load_data("gmm:200,50,8,3,42");
    QCOMPARE(d.train.x, a.train.x);
    QCOMPARE(d.test.y, a.test.y);
    // Classes are separable-ish: a sample is nearer its own class mean on average.
    std::vector<double> mean(3 * 8, 0.0);
    for (int i = 0; i < 200; ++i)
      for (int j = 0; j < 8; ++j) mean[a.train.y[i] * 8 + j] += a.train.x[i * 8 + j] / count[a.train.y[i]];
    int nearest_own = 0;
    for (int i = 0; i < 50; ++i) {
      int best = -1;
      double bd = 1e300;
      for (int k = 0; k < 3; ++k) {
        double dd = 0;
        for (int j = 0; j < 8; ++j) dd += std::pow(a.test.x[i * 8 + j] - mean[k * 8 + j], 2);
        if (dd < bd) bd = dd, best = k;
      }
      nearest_own += best == a.test.y[i];
    }
    QVERIFY(nearest_own >= 40);
  }

  void subsetDeterministic() {
    DataSplits g = make_gaussian_mixture(100, 10, 4, 5, 1);
    Dataset a = subset(g.train, 30, 9), b = subset(g.train, 30, 9), c = subset(g.train, 30, 10);
    QCOMPARE(a.n, 30);
    QCOMPARE(a.dim, 4);
    QCOMPARE(a.classes, 5);
    QCOMPARE(a.x.size(), size_t(120));
    QCOMPARE(a.x, b.x);
    QCOMPARE(a.y, b.y);
    QVERIFY(a.x != c.x);
    // Every chosen row is a distinct original row, in the original order, with its label.
    int from = 0;
    for (int k = 0; k < a.n; ++k) {
      int found = -1;
      for (int i = from; i < g.train.n && found < 0; ++i)
        if (std::equal(a.x.begin() + k * 4, a.x.begin() + k * 4 + 4, g.train.x.begin() + i * 4))
          found = i;
      QVERIFY(found >= 0);
      QCOMPARE(a.y[k], g.train.y[found]);
      from = found + 1;
    }
    Dataset all = subset(g.train, 1000, 9);
    QCOMPARE(all.x, g.train.x);
    QCOMPARE(subset(g.train, 0, 1).n, 0);
    QVERIFY_THROWS_EXCEPTION(InputError, subset(g.train, -1, 1));
  }

  void dataOptions() {
    DataSplits raw = load_data("gmm:300,40,5,3,7");
    DataOptions opt;
    opt.train_subset = 100;
    opt.test_subset = 20;
    opt.subset_seed = 11;
    DataSplits sub = load_data("gmm:300,40,5,3,7", opt);
    QCOMPARE(sub.train.n, 100);
    QCOMPARE(sub.test.n, 20);
    QCOMPARE(sub.train.x, subset(raw.train, 100, 11).x);

    opt = {};
    opt.standardize = true;
    DataSplits st = load_data("gmm:300,40,5,3,7", opt);
    for (int j = 0; j < 5; ++j) {
      double m = 0, m2 = 0, rm = 0, rv = 0;
      for (int i = 0; i < 300; ++i) {
        m += st.train.x[i * 5 + j] / 300.0;
        rm += raw.train.x[i * 5 + j] / 300.0;
      }
      for (int i = 0; i < 300; ++i) {
        m2 += std::pow(st.train.x[i * 5 + j] - m, 2) / 300.0;
        rv += std::pow(raw.train.x[i * 5 + j] - rm, 2) / 300.0;
      }
      QVERIFY(std::abs(m) < 1e-5);
      QVERIFY(std::abs(m2 - 1.0) < 1e-4);
      // The test split uses the train statistics.
      const double expect = (raw.test.x[j] - rm) / std::sqrt(rv);
      QVERIFY(std::abs(st.test.x[j] - expect) < 1e-4);
    }
  }

  void standardizeConstantFeature() {
    ScratchDir scratch("dataset");
    const auto dir = scratch.path() / "const";
    std::filesystem::create_directories(dir);
    // Pixel 0 is constant (7) in train: its std is floored, not divided by zero.
    std::vector<uint8_t> img{7, 0, 7, 10, 7, 20};
    write_plain((dir / "train-images-idx3-ubyte").string(), idx_bytes(0x803, {3, 1, 2}, img));
    write_plain((dir / "train-labels-idx1-ubyte").string(), idx_bytes(0x801, {3}, {0, 1, 0}));
    write_plain((dir / "t10k-images-idx3-ubyte").string(), idx_bytes(0x803, {1, 1, 2}, {7, 10}));
    write_plain((dir / "t10k-labels-idx1-ubyte").string(), idx_bytes(0x801, {1}, {1}));
    DataOptions opt;
    opt.standardize = true;
    DataSplits s = load_data(dir.string(), opt);
    for (float v : s.train.x) QVERIFY(std::isfinite(v));
    QCOMPARE(s.train.x[0], 0.0f);
    QCOMPARE(s.test.x[0], 0.0f);
    QVERIFY(std::abs(s.test.x[1]) < 1e-6);  // 10 is the train mean of pixel 1
    QVERIFY(std::abs(s.train.x[1] + std::sqrt(1.5f)) < 1e-5);  // (0-10)/sqrt(200/3)
  }
};

QTEST_APPLESS_MAIN(TestDataset)
#include "test_dataset.moc"
