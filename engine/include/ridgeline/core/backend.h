#pragma once
/// @file backend.h
/// The compute backend interface. A backend owns device memory and runs the ops the models
/// and analyses need. Pointers passed to ops are device pointers of the same backend
/// (host pointers for the CPU backend). All matrices are float32, row-major.
/// Ops are asynchronous with respect to the host on devices that have a stream;
/// download() and synchronize() wait.
///
/// Determinism: for a fixed thread count the CPU backend gives bit-identical results.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace ridgeline {

enum class Trans { No, Yes };

/// Op families, for Backend::supports(). One entry per op family of the interface below (a
/// forward op and its backward share an entry). Memory operations (allocate, upload, copy,
/// fill, the int buffers) are not ops: every backend has them.
enum class Op {
  Gemm,            ///< gemm
  GemmBatched,     ///< gemm_batched
  Bias,            ///< add_bias
  ScaleColumns,    ///< scale_columns
  Relu,            ///< relu, relu_backward
  Gelu,            ///< gelu, gelu_backward
  LayerNorm,       ///< layernorm, layernorm_backward
  ColumnSums,      ///< column_sums
  SoftmaxXent,     ///< softmax_xent (float labels)
  SoftmaxXentI32,  ///< softmax_xent_i32 (int32 labels)
  Lerp,            ///< lerp
  Axpby,           ///< axpby
  Sgd,             ///< sgd_step
  Adam,            ///< adam_step
  Dot,             ///< dot
  Nrm2,            ///< nrm2
};

/// Every Op, in declaration order (for tables and loops over all ops).
const std::vector<Op>& all_ops();

/// The op's name as written in messages and tests, e.g. "gemm_batched", "softmax_xent_i32".
const char* to_string(Op op);

struct SgdParams {
  float lr = 0.01f;
  float momentum = 0.0f;
  float weight_decay = 0.0f;  ///< coupled L2, as torch.optim.SGD
  bool first_step = false;    ///< momentum buffer initialised to the gradient (as PyTorch)
};

struct AdamParams {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;  ///< coupled L2, as torch.optim.Adam
  long long step = 1;         ///< 1-based step count for bias correction
};

class Backend {
 public:
  virtual ~Backend() = default;

  /// The registry name: "cpu", "cuda", "reference".
  virtual std::string name() const = 0;
  /// Human description naming the device, e.g. "CPU (Eigen, 2 threads)".
  virtual std::string description() const = 0;
  /// Device ordinal within the backend's kind: 0 for the CPU backends, the CUDA device number.
  virtual int device_index() const = 0;
  /// Whether this backend implements `op`. Calling an unsupported op is undefined: callers
  /// consult this through require() (fail by name) or fall back to a host backend.
  virtual bool supports(Op op) const = 0;

  // Memory. allocate() returns zero-initialised memory of n floats.
  virtual float* allocate(size_t n) = 0;
  virtual void release(float* p) = 0;
  virtual void upload(float* dst, const float* host_src, size_t n) = 0;
  virtual void download(float* host_dst, const float* src, size_t n) = 0;
  virtual void copy(float* dst, const float* src, size_t n) = 0;
  virtual void fill(float* dst, float value, size_t n) = 0;
  virtual void synchronize() = 0;

  // Integer (int32) memory, for labels and token ids. allocate_int() returns zero-initialised
  // memory of n ints; the same stream and waiting rules as the float buffers.
  virtual int* allocate_int(size_t n) = 0;
  virtual void release_int(int* p) = 0;
  virtual void upload_int(int* dst, const int* host_src, size_t n) = 0;
  virtual void download_int(int* host_dst, const int* src, size_t n) = 0;

  /// C[m×n] = alpha·op(A)·op(B) + beta·C, row-major, leading dimensions in elements.
  virtual void gemm(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* A, int lda,
                    const float* B, int ldb, float beta, float* C, int ldc) = 0;
  /// `batch` independent gemms; matrix i starts at A + i·strideA (likewise B, C).
  /// A stride of 0 shares one matrix across the batch.
  virtual void gemm_batched(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* A,
                            int lda, long long strideA, const float* B, int ldb, long long strideB,
                            float beta, float* C, int ldc, long long strideC, int batch) = 0;

  /// Y[r, c] += b[c] for a rows×cols matrix.
  virtual void add_bias(float* Y, const float* b, int rows, int cols) = 0;
  /// Y[r, c] *= s[c] for a rows×cols matrix (Op::Bias family).
  virtual void scale_columns(float* Y, const float* s, int rows, int cols) = 0;
  /// Y = max(Y, 0) elementwise.
  virtual void relu(float* Y, size_t n) = 0;
  /// dY *= (Y > 0) elementwise, Y being the ReLU output.
  virtual void relu_backward(float* dY, const float* Y, size_t n) = 0;
  /// Y = gelu(Z) = Z·Φ(Z) elementwise (exact erf form, as torch.nn.GELU()). Y may alias Z.
  virtual void gelu(const float* Z, float* Y, size_t n) = 0;
  /// dY *= gelu'(Z) elementwise, Z being the GELU input.
  virtual void gelu_backward(float* dY, const float* Z, size_t n) = 0;
  /// Row-wise LayerNorm of X[rows×cols] (as torch.nn.LayerNorm(cols, eps)):
  /// Y = (X − mean)·rstd·gamma + beta with the biased variance, rstd = 1/√(var + eps).
  /// Writes the per-row mean and rstd when those pointers are not null (backward needs them).
  /// Y may alias X.
  virtual void layernorm(const float* X, const float* gamma, const float* beta, int rows,
                         int cols, float eps, float* Y, float* mean, float* rstd) = 0;
  /// Adjoint of layernorm(): from dY, the forward input X and its saved mean/rstd, writes
  /// dX and (overwriting, when not null) dgamma[c] = Σ_r dY·x̂ and dbeta[c] = Σ_r dY.
  /// Deterministic reductions. dX may alias dY.
  virtual void layernorm_backward(const float* dY, const float* X, const float* gamma,
                                  const float* mean, const float* rstd, int rows, int cols,
                                  float* dX, float* dgamma, float* dbeta) = 0;
  /// out[c] = beta·out[c] + Σ_r X[r, c].
  virtual void column_sums(const float* X, int rows, int cols, float beta, float* out) = 0;
  /// Row-wise softmax cross-entropy of logits[rows×cols] against integer-valued float labels;
  /// row r uses labels[r % label_period]. Writes loss[r] and correct[r] (1 when the argmax,
  /// first on ties, equals the label). When grad is not null, grad = scale·(softmax − onehot).
  /// The CPU backends throw InputError naming the row for a label that is not an integer in
  /// [0, cols); the CUDA backend writes loss NaN and correct 0 for such a row.
  virtual void softmax_xent(const float* logits, const float* labels, int rows, int cols,
                            int label_period, float* loss, float* correct, float* grad,
                            float scale) = 0;
  /// softmax_xent() with int32 labels (an IntBuffer of the same backend). A label outside
  /// [0, cols) throws InputError naming the op and the first such row, on every backend,
  /// before anything is read at that label (on a device, after the launch has finished).
  virtual void softmax_xent_i32(const float* logits, const int* labels, int rows, int cols,
                                int label_period, float* loss, float* correct, float* grad,
                                float scale) = 0;
  /// out = a + alpha·d (out may alias a).
  virtual void lerp(float* out, const float* a, const float* d, float alpha, size_t n) = 0;
  /// y = alpha·x + beta·y.
  virtual void axpby(float alpha, const float* x, float beta, float* y, size_t n) = 0;
  /// Σ x[i]·y[i], accumulated in double (float64 on the CPU backends; the CUDA backend sums
  /// float64 products in a fixed tree). Deterministic for a fixed thread count. Waits for the
  /// result (a host value).
  virtual double dot(const float* x, const float* y, size_t n) = 0;
  /// √(Σ x[i]²), accumulated as dot(). Waits for the result.
  virtual double nrm2(const float* x, size_t n) = 0;
  /// One SGD step on n parameters (PyTorch semantics: v = μv + g (+wd·p); p -= lr·v).
  virtual void sgd_step(float* p, const float* g, float* v, size_t n, const SgdParams& hp) = 0;
  /// One Adam step on n parameters (PyTorch torch.optim.Adam semantics).
  virtual void adam_step(float* p, const float* g, float* m, float* v, size_t n,
                         const AdamParams& hp) = 0;
};

/// RAII buffer of n elements on a backend: floats (DeviceBuffer) or int32 for labels and
/// token ids (IntBuffer). Zero-initialised; moved, never copied.
template <class T>
class BackendBuffer {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, int>, "float or int32 buffers");

 public:
  BackendBuffer() = default;
  BackendBuffer(Backend& backend, size_t n)
      : backend_(&backend), ptr_(n ? allocate(backend, n) : nullptr), n_(n) {}
  ~BackendBuffer() { reset(); }
  BackendBuffer(BackendBuffer&& o) noexcept : backend_(o.backend_), ptr_(o.ptr_), n_(o.n_) {
    o.backend_ = nullptr;
    o.ptr_ = nullptr;
    o.n_ = 0;
  }
  BackendBuffer& operator=(BackendBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      std::swap(backend_, o.backend_);
      std::swap(ptr_, o.ptr_);
      std::swap(n_, o.n_);
    }
    return *this;
  }
  BackendBuffer(const BackendBuffer&) = delete;
  BackendBuffer& operator=(const BackendBuffer&) = delete;

  T* data() const { return ptr_; }
  size_t size() const { return n_; }

 private:
  static T* allocate(Backend& b, size_t n) {
    if constexpr (std::is_same_v<T, float>) return b.allocate(n);
    else return b.allocate_int(n);
  }
  void reset() noexcept {
    if (backend_ && ptr_) {
      if constexpr (std::is_same_v<T, float>) backend_->release(ptr_);
      else backend_->release_int(ptr_);
    }
    backend_ = nullptr;
    ptr_ = nullptr;
    n_ = 0;
  }

  Backend* backend_ = nullptr;
  T* ptr_ = nullptr;
  size_t n_ = 0;
};

using DeviceBuffer = BackendBuffer<float>;
using IntBuffer = BackendBuffer<int>;

/// Throws RunError "op <op> is not supported by backend <name> (device <index>)" unless
/// `backend` supports `op`. Callers that cannot fall back call this before using an op.
void require(const Backend& backend, Op op);

/// What "auto" may do with a registered backend.
enum class BackendRole {
  Host,         ///< the CPU; "auto" falls back to the first available one
  Accelerator,  ///< a device; "auto" picks the first available one
  Reference,    ///< for tests only; never chosen by "auto", but may be named explicitly
};

/// A backend factory registered under a name. `available` probes the device and returns an
/// empty string when it can be used, else the reason it cannot.
struct BackendFactory {
  std::string name;
  std::function<std::string()> available;
  std::function<std::unique_ptr<Backend>(int threads)> create;
  BackendRole role = BackendRole::Host;
};

/// Registers a backend, replacing one of the same name (the CUDA backend calls this from a
/// static initialiser; the built-in CPU backends are registered when the registry is first used).
void register_backend(BackendFactory factory);
/// Names of registered backends in registration order ("cpu" and "reference" always present).
std::vector<std::string> registered_backends();
/// Reason a device cannot be used, or empty when it can.
std::string backend_unavailable_reason(const std::string& name);

/// Creates a backend for `device` = "auto" or a registered name ("cpu", "cuda", "reference").
/// "auto" picks the first available accelerator (CUDA when a device answers), else the CPU;
/// it never picks the reference. `threads` ≤ 0 means all hardware threads (CPU backend and
/// host work). Throws InputError for an unknown device (listing the registered ones), RunError
/// when the requested one is unavailable.
std::unique_ptr<Backend> make_backend(const std::string& device, int threads = 0);

/// Sets the number of host threads used by the CPU backend and host-side loops.
void set_host_threads(int threads);
int host_threads();

}  // namespace ridgeline
