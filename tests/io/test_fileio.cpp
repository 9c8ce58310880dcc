// Whole-file reads, atomic writes, .npy output and shape strings.
#include <QtTest>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"
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
};

QTEST_APPLESS_MAIN(TestFileio)
#include "test_fileio.moc"
