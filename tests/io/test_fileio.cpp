// Whole-file reads, atomic writes, .npy output and shape strings.
#include <QtTest>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/io/npy.h"
#include "ridgeline/core/tensor.h"
#include "test_support.h"

using namespace ridgeline;
using ridgeline::test::ScratchDir;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

class TestFileio : public QObject {
  Q_OBJECT
 private slots:
  void shapeString() {
    QCOMPARE(shape_string({512, 784}), std::string("[512, 784]"));
    QCOMPARE(shape_string({7}), std::string("[7]"));
    QCOMPARE(shape_string({}), std::string("[]"));
  }

  void readMissingNamesFile() {
    ScratchDir dir("fileio");
    const std::string p = dir.file("nope.bin");
    try {
      read_file(p);
      QFAIL("expected InputError");
    } catch (const InputError& e) {
      const std::string msg = e.what();
      QVERIFY2(msg.rfind(p + ": cannot read", 0) == 0, msg.c_str());
    }
  }

  void readDirectoryFails() {
    ScratchDir dir("fileio");
    QVERIFY_THROWS_EXCEPTION(InputError, read_file(dir.path().string()));
  }

  void atomicWriteCreatesFoldersAndOverwrites() {
    ScratchDir dir("fileio");
    const std::string p = dir.file("a/b/c.bin");
    std::string bytes("hello\0world\xff", 12);
    write_file_atomic(p, bytes);
    QCOMPARE(read_file(p), bytes);
    write_file_atomic(p, "second");
    QCOMPARE(read_file(p), std::string("second"));
    // No temp files are left behind.
    int entries = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path() / "a" / "b")) {
      QCOMPARE(e.path().filename().string(), std::string("c.bin"));
      ++entries;
    }
    QCOMPARE(entries, 1);
    write_file_atomic(dir.file("empty"), "");
    QCOMPARE(read_file(dir.file("empty")), std::string());
  }

  void atomicWriteFailureIsRunError() {
    ScratchDir dir("fileio");
    write_file_atomic(dir.file("plain"), "x");
    // A folder cannot be created beneath a regular file.
    QVERIFY_THROWS_EXCEPTION(RunError, write_file_atomic(dir.file("plain/sub/f"), "y"));
  }

  void npyFloatHeaderExact() {
    ScratchDir dir("fileio");
    const std::string p = dir.file("a.npy");
    std::vector<float> v{1.0f, -2.5f, 3.25f, 0.0f, 1e-30f, 7.0f};
    write_npy(p, v, {2, 3});
    const std::string b = slurp(p);
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    std::string header = std::string("\x93NUMPY\x01\x00", 8);
    const size_t hl = 128 - 10;  // 10 + 59-byte dict + '\n' rounds up to 128
    header.push_back(static_cast<char>(hl));
    header.push_back('\0');
    header += dict + std::string(hl - dict.size() - 1, ' ') + "\n";
    QCOMPARE(header.size(), size_t(128));
    QCOMPARE(b.size(), size_t(128 + 6 * 4));
    QCOMPARE(b.substr(0, 128), header);
    QVERIFY(std::memcmp(b.data() + 128, v.data(), 24) == 0);
  }

  void npyDoubleOneDim() {
    ScratchDir dir("fileio");
    const std::string p = dir.file("d.npy");
    std::vector<double> v(100);
    for (int i = 0; i < 100; ++i) v[i] = i * 0.1;
    write_npy(p, v, {100});
    const std::string b = slurp(p);
    const size_t hl = static_cast<unsigned char>(b[8]) | (static_cast<unsigned char>(b[9]) << 8);
    QCOMPARE((10 + hl) % 64, size_t(0));
    QCOMPARE(b.size(), 10 + hl + 800);
    const std::string h = b.substr(10, hl);
    QVERIFY(h.find("'descr': '<f8'") != std::string::npos);
    QVERIFY(h.find("'shape': (100,)") != std::string::npos);
    QVERIFY(h.find("'fortran_order': False") != std::string::npos);
    QCOMPARE(h.back(), '\n');
    QVERIFY(std::memcmp(b.data() + 10 + hl, v.data(), 800) == 0);
  }

  void npyScalarAndMismatch() {
    ScratchDir dir("fileio");
    write_npy(dir.file("s.npy"), std::vector<float>{4.0f}, {});
    QVERIFY(slurp(dir.file("s.npy")).find("'shape': ()") != std::string::npos);
    QVERIFY_THROWS_EXCEPTION(RunError,
                             write_npy(dir.file("bad.npy"), std::vector<float>{1, 2, 3}, {2, 2}));
  }

  void npyReadsWhatItWrites() {
    ScratchDir dir("fileio");
    std::vector<float> f{1.0f, -2.5f, 3.25f, 0.0f, 1e-30f, 7.0f};
    write_npy(dir.file("f.npy"), f, {2, 3});
    NpyArray a = read_npy(dir.file("f.npy"));
    QCOMPARE(a.descr, std::string("<f4"));
    QCOMPARE(a.shape, (std::vector<int64_t>{2, 3}));
    for (size_t i = 0; i < f.size(); ++i) QCOMPARE(a.values[i], static_cast<double>(f[i]));
    std::vector<double> d{0.1, -1e300, 5.0};
    write_npy(dir.file("d.npy"), d, {3});
    a = read_npy(dir.file("d.npy"));
    QCOMPARE(a.shape, (std::vector<int64_t>{3}));
    QCOMPARE(a.values, d);
    write_npy(dir.file("s.npy"), std::vector<float>{4.0f}, {});
    a = read_npy(dir.file("s.npy"));
    QVERIFY(a.shape.empty());
    QCOMPARE(a.values, (std::vector<double>{4.0}));
    write_npy(dir.file("z.npy"), std::vector<float>{}, {0, 5});
    QCOMPARE(read_npy(dir.file("z.npy")).values.size(), size_t(0));
  }

  void npyReadsOtherDtypesAndVersions() {
    // Headers as numpy writes them: version 2.0 (uint32 length), |u1, <i8, double quotes.
    auto file = [](int major, const std::string& dict, const std::string& data) {
      std::string h = dict + "\n";
      std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
      const size_t n = h.size();
      for (int i = 0; i < (major == 1 ? 2 : 4); ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
      return out + h + data;
    };
    NpyArray a = parse_npy("u.npy", file(2, "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }",
                                         std::string("\x00\x7f\xff", 3)));
    QCOMPARE(a.values, (std::vector<double>{0, 127, 255}));
    const int64_t big[2] = {-(int64_t{1} << 53), 42};
    a = parse_npy("i.npy", file(1, "{\"descr\":\"<i8\",\"fortran_order\":False,\"shape\":(1, 2)}",
                                std::string(reinterpret_cast<const char*>(big), 16)));
    QCOMPARE(a.shape, (std::vector<int64_t>{1, 2}));
    QCOMPARE(a.values, (std::vector<double>{-9007199254740992.0, 42.0}));

    auto expect = [&](const std::string& bytes, const std::string& part) {
      try {
        parse_npy("bad.npy", bytes);
        QFAIL(("no InputError for " + part).c_str());
      } catch (const InputError& e) {
        const std::string msg = e.what();
        QVERIFY2(msg.rfind("bad.npy: ", 0) == 0, msg.c_str());
        QVERIFY2(msg.find(part) != std::string::npos, msg.c_str());
        QVERIFY2(msg.find('\n') == std::string::npos, msg.c_str());
      }
    };
    const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    const std::string eight(8, '\0');
    expect("NUMPY", "no \\x93NUMPY magic");
    expect(file(4, ok, eight), "version 4.0");
    expect(file(1, ok, eight).substr(0, 30), "truncated .npy header");
    expect(file(1, ok, eight.substr(0, 7)), "needs 8 data bytes, the file has 7: truncated");
    expect(file(1, ok, eight + "x"), "needs 8 data bytes, the file has 9");
    expect(file(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", eight),
           "unsupported dtype '>f4'");
    expect(file(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", eight), "Fortran");
    expect(file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", eight), "1-tuple");
    expect(file(1, "{'descr': '<f4', 'shape': (2,), }", eight), "needs 'descr'");
    expect(file(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", eight),
           "repeated key 'descr'");
    expect(file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", eight),
           "dimension too large");
    expect(file(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", eight),
           "too large");
    expect(file(2, ok + std::string(20000, ' '), eight), "exceeds numpy's limit");
    expect(file(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}\n\x01", eight),
           "not numpy's dictionary");
    const int64_t huge = (int64_t{1} << 53) + 1;
    expect(file(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1,)}",
                std::string(reinterpret_cast<const char*>(&huge), 8)),
           "no exact double");
    expect(std::string("\x93NUMPY\x01\x00", 8), "not a .npy file");
  }
};

QTEST_APPLESS_MAIN(TestFileio)
#include "test_fileio.moc"
