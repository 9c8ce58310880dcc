// numpy.load reads the .npy files write_npy writes (float32 and float64, shapes, values).
// Exits 77 (ctest: skipped) when python3 with numpy is not installed (Debian python3-numpy).
#include <QtTest>
#include <cstdlib>
#include <string>
#include <vector>

#include "ridgeline/io/fileio.h"
#include "test_support.h"

using namespace ridgeline;
using ridgeline::test::ScratchDir;

namespace {

bool have_numpy() {
  return std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
}

}  // namespace

class TestNpyNumpy : public QObject {
  Q_OBJECT
 private slots:
  void numpyLoadsIt() {
    ScratchDir dir("fileio");
    std::vector<float> f(12);
    std::vector<double> d(6);
    for (int i = 0; i < 12; ++i) f[i] = 0.5f * i - 1.0f;
    for (int i = 0; i < 6; ++i) d[i] = 1.0 / (i + 1);
    write_npy(dir.file("f.npy"), f, {3, 4});
    write_npy(dir.file("d.npy"), d, {6});
    const std::string cmd =
        "/usr/bin/python3 -c \"import numpy as np, sys; a=np.load(sys.argv[1]); b=np.load(sys.argv[2]); "
        "ok = a.dtype==np.float32 and a.shape==(3,4) and np.array_equal(a, (np.arange(12)*0.5-1).reshape(3,4)) "
        "and b.dtype==np.float64 and b.shape==(6,) and np.array_equal(b, 1.0/np.arange(1,7)); "
        "sys.exit(0 if ok else 1)\" '" +
        dir.file("f.npy") + "' '" + dir.file("d.npy") + "'";
    QCOMPARE(std::system(cmd.c_str()), 0);
  }
};

RIDGELINE_DATA_TEST_MAIN(TestNpyNumpy, have_numpy(),
                         "python3 with numpy not available (Debian python3-numpy)")
#include "test_npy_numpy.moc"
