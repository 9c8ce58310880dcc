// Thin SVD through LAPACK's divide-and-conquer driver dgesdd (the LAPACK that ships with
// OpenBLAS; engine/CMakeLists.txt links it).
#include <cmath>
#include <string>

#include "ridgeline/core/errors.h"
#include "ridgeline/spectra/spectra.h"

extern "C" void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda,
                        double* s, double* u, const int* ldu, double* vt, const int* ldvt,
                        double* work, const int* lwork, int* iwork, int* info, size_t jobz_len);

namespace ridgeline {

namespace {

template <typename T>
Svd svd_any(const T* w, int rows, int cols, bool vectors) {
  Svd out;
  out.rows = rows;
  out.cols = cols;
  if (rows <= 0 || cols <= 0) return out;
  // The row-major m×n W is the column-major n×m matrix A = Wᵀ = V S Uᵀ: LAPACK's U of A is
  // our V and its Vᵀ is our Uᵀ.
  const int m = cols, n = rows, r = std::min(rows, cols);
  std::vector<double> a(static_cast<size_t>(m) * n);
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(w[i]))
      throw InputError("svd: the matrix holds a non-finite entry (NaN or Inf)");
    a[i] = w[i];
  }
  out.s.resize(r);
  const char jobz = vectors ? 'S' : 'N';
  std::vector<double> lu(vectors ? static_cast<size_t>(m) * r : 1);
  std::vector<double> lvt(vectors ? static_cast<size_t>(r) * n : 1);
  const int ldu = vectors ? m : 1, ldvt = vectors ? r : 1;
  std::vector<int> iwork(8 * static_cast<size_t>(r));
  int info = 0, lwork = -1;
  double query = 0;
  dgesdd_(&jobz, &m, &n, a.data(), &m, out.s.data(), lu.data(), &ldu, lvt.data(), &ldvt, &query,
          &lwork, iwork.data(), &info, 1);
  if (info != 0) throw RunError("svd: dgesdd workspace query failed (info " + std::to_string(info) + ")");
  lwork = static_cast<int>(query) + 1;
  std::vector<double> work(lwork);
  dgesdd_(&jobz, &m, &n, a.data(), &m, out.s.data(), lu.data(), &ldu, lvt.data(), &ldvt,
          work.data(), &lwork, iwork.data(), &info, 1);
  if (info != 0)
    throw RunError("svd: dgesdd failed on a " + std::to_string(rows) + "×" + std::to_string(cols) +
                   " matrix (info " + std::to_string(info) + ")");
  if (vectors) {
    out.u.resize(static_cast<size_t>(rows) * r);
    out.v.resize(static_cast<size_t>(cols) * r);
    for (int i = 0; i < rows; ++i)  // U_W[i,k] = (LAPACK Vᵀ)[k,i]
      for (int k = 0; k < r; ++k) out.u[static_cast<size_t>(i) * r + k] = lvt[k + static_cast<size_t>(i) * r];
    for (int j = 0; j < cols; ++j)  // V_W[j,k] = (LAPACK U)[j,k]
      for (int k = 0; k < r; ++k) out.v[static_cast<size_t>(j) * r + k] = lu[j + static_cast<size_t>(k) * m];
  }
  return out;
}

}  // namespace

Svd svd(const float* w, int rows, int cols, bool vectors) { return svd_any(w, rows, cols, vectors); }
Svd svd(const double* w, int rows, int cols, bool vectors) { return svd_any(w, rows, cols, vectors); }

}  // namespace ridgeline
