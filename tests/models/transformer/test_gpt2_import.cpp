// GPT-2-family checkpoints (models/transformer/gpt2_import.h): a tiny GPT-2 written here in
// Hugging Face's layout (Conv1D weights [in, out], fused c_attn, causal-mask buffers, output
// tied to wte, gelu_new) and in nanoGPT's (Linear weights [out, in], "transformer." names,
// lm_head.weight = wte, no biases, erf GELU) loads and gives the logits and attention maps of
// a float64 forward written from the reference implementation's equations; a shorter
// sequence is exact; every unsupported or broken checkpoint is one line naming the key.
#include <QtTest>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/transformer/gpt2_import.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/models/transformer/transformer_symmetry.h"
#include "test_support.h"

using namespace ridgeline;
namespace fs = std::filesystem;

namespace {

constexpr int V = 13, P = 8, D = 8, H = 2, L = 2, FF = 4 * D;

using Mat = std::vector<std::vector<double>>;  // row-major rows

// The weights in PyTorch's shapes [out, in] (a Linear's), as the reference uses them.
struct Gpt2Weights {
  Mat wte, wpe;
  struct Block {
    std::vector<double> ln1_w, ln1_b, ln2_w, ln2_b, attn_b, proj_b, fc_b, fc2_b;
    Mat attn_w, proj_w, fc_w, fc2_w;  // [out, in]
  };
  std::vector<Block> blocks;
  std::vector<double> lnf_w, lnf_b;
};

Mat random_mat(std::mt19937_64& g, int r, int c, double scale) {
  std::normal_distribution<double> n(0.0, scale);
  Mat m(r, std::vector<double>(c));
  for (auto& row : m)
    for (double& v : row) v = static_cast<float>(n(g));  // float32-representable
  return m;
}
std::vector<double> random_vec(std::mt19937_64& g, int n, double mean, double scale) {
  std::normal_distribution<double> d(mean, scale);
  std::vector<double> v(n);
  for (double& x : v) x = static_cast<float>(d(g));
  return v;
}

Gpt2Weights make_weights(uint64_t seed, bool biases) {
  std::mt19937_64 g(seed);
  Gpt2Weights w;
  w.wte = random_mat(g, V, D, 0.5);
  w.wpe = random_mat(g, P, D, 0.3);
  auto bias = [&](int n) { return biases ? random_vec(g, n, 0.0, 0.1) : std::vector<double>(n, 0.0); };
  for (int l = 0; l < L; ++l) {
    Gpt2Weights::Block b;
    b.ln1_w = random_vec(g, D, 1.0, 0.2);
    b.ln1_b = bias(D);
    b.attn_w = random_mat(g, 3 * D, D, 0.4);
    b.attn_b = bias(3 * D);
    b.proj_w = random_mat(g, D, D, 0.3);
    b.proj_b = bias(D);
    b.ln2_w = random_vec(g, D, 1.0, 0.2);
    b.ln2_b = bias(D);
    b.fc_w = random_mat(g, FF, D, 0.3);
    b.fc_b = bias(FF);
    b.fc2_w = random_mat(g, D, FF, 0.2);
    b.fc2_b = bias(D);
    w.blocks.push_back(b);
  }
  w.lnf_w = random_vec(g, D, 1.0, 0.2);
  w.lnf_b = bias(D);
  return w;
}

std::vector<double> layernorm(const std::vector<double>& x, const std::vector<double>& gamma,
                              const std::vector<double>& beta) {
  double mean = 0, var = 0;
  for (double v : x) mean += v;
  mean /= x.size();
  for (double v : x) var += (v - mean) * (v - mean);
  var /= x.size();
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = (x[i] - mean) / std::sqrt(var + 1e-5) * gamma[i] + beta[i];
  return y;
}

std::vector<double> linear(const Mat& w, const std::vector<double>& b, const std::vector<double>& x) {
  std::vector<double> y(w.size());
  for (size_t o = 0; o < w.size(); ++o) {
    double s = b[o];
    for (size_t i = 0; i < x.size(); ++i) s += w[o][i] * x[i];
    y[o] = s;
  }
  return y;
}

double gelu(double x, bool tanh_form) {
  if (tanh_form)
    return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
  return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
}

// GPT-2's forward in float64: logits [T][V] and attention maps [layer·H + head][T][T].
struct Reference {
  Mat logits;
  std::vector<Mat> maps;
};

Reference reference_forward(const Gpt2Weights& w, const std::vector<int>& ids, bool tanh_form) {
  const int T = static_cast<int>(ids.size()), dh = D / H;
  Mat x(T, std::vector<double>(D));
  for (int t = 0; t < T; ++t)
    for (int i = 0; i < D; ++i) x[t][i] = w.wte[ids[t]][i] + w.wpe[t][i];
  Reference r;
  for (const auto& b : w.blocks) {
    Mat q(T), k(T), v(T);
    for (int t = 0; t < T; ++t) {
      const auto qkv = linear(b.attn_w, b.attn_b, layernorm(x[t], b.ln1_w, b.ln1_b));
      q[t].assign(qkv.begin(), qkv.begin() + D);
      k[t].assign(qkv.begin() + D, qkv.begin() + 2 * D);
      v[t].assign(qkv.begin() + 2 * D, qkv.end());
    }
    Mat heads(T, std::vector<double>(D, 0.0));
    for (int h = 0; h < H; ++h) {
      Mat p(T, std::vector<double>(T, 0.0));
      for (int i = 0; i < T; ++i) {
        double top = -1e300;
        std::vector<double> s(i + 1);
        for (int j = 0; j <= i; ++j) {  // causal: keys up to the query
          double dot = 0;
          for (int e = 0; e < dh; ++e) dot += q[i][h * dh + e] * k[j][h * dh + e];
          s[j] = dot / std::sqrt(double(dh));
          top = std::max(top, s[j]);
        }
        double z = 0;
        for (int j = 0; j <= i; ++j) z += std::exp(s[j] - top);
        for (int j = 0; j <= i; ++j) p[i][j] = std::exp(s[j] - top) / z;
        for (int e = 0; e < dh; ++e) {
          double o = 0;
          for (int j = 0; j <= i; ++j) o += p[i][j] * v[j][h * dh + e];
          heads[i][h * dh + e] = o;
        }
      }
      r.maps.push_back(p);
    }
    for (int t = 0; t < T; ++t) {
      const auto proj = linear(b.proj_w, b.proj_b, heads[t]);
      for (int i = 0; i < D; ++i) x[t][i] += proj[i];
      auto f = linear(b.fc_w, b.fc_b, layernorm(x[t], b.ln2_w, b.ln2_b));
      for (double& e : f) e = gelu(e, tanh_form);
      const auto out = linear(b.fc2_w, b.fc2_b, f);
      for (int i = 0; i < D; ++i) x[t][i] += out[i];
    }
  }
  for (int t = 0; t < T; ++t) {
    const auto y = layernorm(x[t], w.lnf_w, w.lnf_b);
    std::vector<double> row(V);
    for (int c = 0; c < V; ++c)
      for (int i = 0; i < D; ++i) row[c] += y[i] * w.wte[c][i];
    r.logits.push_back(row);
  }
  return r;
}

Tensor tensor_of(const Mat& m, bool transpose) {
  Tensor t;
  const int64_t r = m.size(), c = m[0].size();
  t.shape = transpose ? std::vector<int64_t>{c, r} : std::vector<int64_t>{r, c};
  t.data.resize(static_cast<size_t>(r * c));
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j)
      t.data[static_cast<size_t>(transpose ? j * r + i : i * c + j)] = static_cast<float>(m[i][j]);
  return t;
}
Tensor tensor_of(const std::vector<double>& v) {
  Tensor t;
  t.shape = {static_cast<int64_t>(v.size())};
  for (double x : v) t.data.push_back(static_cast<float>(x));
  return t;
}

// Hugging Face's layout (conv1d) or nanoGPT's.
SafetensorsFile checkpoint(const Gpt2Weights& w, bool hf, bool biases) {
  SafetensorsFile f;
  const std::string pre = hf ? "" : "transformer.";
  auto add = [&](const std::string& name, Tensor t) { f.tensors.emplace_back(pre + name, std::move(t)); };
  add("wte.weight", tensor_of(w.wte, false));
  add("wpe.weight", tensor_of(w.wpe, false));
  for (int l = 0; l < L; ++l) {
    const auto& b = w.blocks[l];
    const std::string h = "h." + std::to_string(l) + ".";
    add(h + "ln_1.weight", tensor_of(b.ln1_w));
    if (biases) add(h + "ln_1.bias", tensor_of(b.ln1_b));
    add(h + "attn.c_attn.weight", tensor_of(b.attn_w, hf));
    if (biases) add(h + "attn.c_attn.bias", tensor_of(b.attn_b));
    add(h + "attn.c_proj.weight", tensor_of(b.proj_w, hf));
    if (biases) add(h + "attn.c_proj.bias", tensor_of(b.proj_b));
    add(h + "ln_2.weight", tensor_of(b.ln2_w));
    if (biases) add(h + "ln_2.bias", tensor_of(b.ln2_b));
    add(h + "mlp.c_fc.weight", tensor_of(b.fc_w, hf));
    if (biases) add(h + "mlp.c_fc.bias", tensor_of(b.fc_b));
    add(h + "mlp.c_proj.weight", tensor_of(b.fc2_w, hf));
    if (biases) add(h + "mlp.c_proj.bias", tensor_of(b.fc2_b));
    if (hf) {  // the causal-mask buffer, which must be ignored
      Tensor mask;
      mask.shape = {1, 1, P, P};
      for (int i = 0; i < P; ++i)
        for (int j = 0; j < P; ++j) mask.data.push_back(j <= i ? 1.0f : 0.0f);
      add(h + "attn.bias", mask);
    }
  }
  add("ln_f.weight", tensor_of(w.lnf_w));
  if (biases) add("ln_f.bias", tensor_of(w.lnf_b));
  if (!hf) f.tensors.emplace_back("lm_head.weight", tensor_of(w.wte, false));
  return f;
}

std::string hf_config(const std::string& extra = "", const std::string& act = "gelu_new",
                      const std::string& eps = "1e-05") {
  return "{\"model_type\": \"gpt2\", \"vocab_size\": 13, \"n_positions\": 8, \"n_embd\": 8, "
         "\"n_layer\": 2, \"n_head\": 2, \"n_inner\": null, \"activation_function\": \"" +
         act + "\", \"layer_norm_epsilon\": " + eps + extra + "}";
}
const char* kNanoConfig =
    "{\"vocab_size\": 13, \"block_size\": 8, \"n_embd\": 8, \"n_layer\": 2, \"n_head\": 2, "
    "\"bias\": false, \"dropout\": 0.0}";

// max |a − b| relative to max |b|.
double rel_diff(const std::vector<float>& a, const Mat& b) {
  double diff = 0, top = 0;
  size_t k = 0;
  for (const auto& row : b)
    for (double v : row) {
      diff = std::max(diff, std::fabs(a[k++] - v));
      top = std::max(top, std::fabs(v));
    }
  return diff / top;
}

void check_against_reference(const Model& m, const Gpt2Weights& w, bool tanh_form) {
  const std::vector<int> ids = {3, 0, 12, 7, 7, 1, 9, 4};
  const Reference ref = reference_forward(w, ids, tanh_form);
  const std::vector<float> x(ids.begin(), ids.end());
  const std::vector<float> logits = transformer_logits(m, x, 1);
  QCOMPARE(logits.size(), size_t(P * V));
  const double dl = rel_diff(logits, ref.logits);
  QVERIFY2(dl < 1e-5, ("logits differ by " + std::to_string(dl) + " relative").c_str());
  const auto maps = attention_maps(m, capture_attention(m, x, 1).front());
  QCOMPARE(maps.size(), ref.maps.size());
  for (size_t i = 0; i < maps.size(); ++i) {
    const double dm = rel_diff(maps[i].data, ref.maps[i]);
    QVERIFY2(dm < 1e-5, ("map " + std::to_string(i) + " differs by " + std::to_string(dm)).c_str());
  }
}

// The error message of loading `config` + `weights` from folder "ckpt".
std::string error_of(const std::string& config, const SafetensorsFile& weights) {
  try {
    gpt2_from_files("ckpt", config, weights);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

class TestGpt2Import : public QObject {
  Q_OBJECT

 private slots:
  void huggingFaceLayoutMatchesTheReferenceForward() {
    const Gpt2Weights w = make_weights(1, true);
    const Model m = gpt2_from_files("ckpt", hf_config(), checkpoint(w, true, true));
    QCOMPARE(m.arch->to_string(), std::string("transformer:tokens=13,seq=8,d=8,heads=2,layers=2,"
                                              "ff=32,attn=softmax,causal,tied,gelu_tanh"));
    check_against_reference(m, w, true);
    // The erf form would differ: the test can tell the two GELUs apart.
    const Reference erf = reference_forward(w, {3, 0, 12, 7, 7, 1, 9, 4}, false);
    const std::vector<float> x = {3, 0, 12, 7, 7, 1, 9, 4};
    QVERIFY(rel_diff(transformer_logits(m, x, 1), erf.logits) > 1e-5);
  }

  void nanoGptLayoutMatchesTheReferenceForward() {
    const Gpt2Weights w = make_weights(2, false);
    const Model m = gpt2_from_files("ckpt", kNanoConfig, checkpoint(w, false, false));
    QCOMPARE(m.arch->to_string(), std::string("transformer:tokens=13,seq=8,d=8,heads=2,layers=2,"
                                              "ff=32,attn=softmax,causal,tied"));
    check_against_reference(m, w, false);
  }

  void foldersLoadFromDisk() {
    const Gpt2Weights w = make_weights(3, true);
    const fs::path dir = fs::temp_directory_path() / ("ridgeline-gpt2-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "config.json") << hf_config();
    QVERIFY(is_checkpoint_folder(dir.string()));
    QVERIFY_THROWS_EXCEPTION(InputError, load_gpt2_folder(dir.string()));  // no weights yet
    write_safetensors((dir / "model.safetensors").string(), checkpoint(w, true, true));
    check_against_reference(load_gpt2_folder(dir.string()), w, true);
    QVERIFY(!is_checkpoint_folder((dir / "model.safetensors").string()));
    fs::remove_all(dir);
  }

  // A causal model's first positions never see the later ones: the shortened model's logits
  // are the full model's first rows, and its permutation spec still holds.
  void shorterSequencesAreExact() {
    const Gpt2Weights w = make_weights(4, true);
    const Model m = gpt2_from_files("ckpt", hf_config(), checkpoint(w, true, true));
    const Model s = with_sequence_length(m, 5);
    QCOMPARE(as_transformer_arch(*s.arch)->seq, 5);
    const std::vector<float> full = transformer_logits(m, {3, 0, 12, 7, 7, 1, 9, 4}, 1);
    const std::vector<float> part = transformer_logits(s, {3, 0, 12, 7, 7}, 1);
    for (size_t i = 0; i < part.size(); ++i) QVERIFY(std::fabs(part[i] - full[i]) <= 1e-5f);
    QVERIFY_THROWS_EXCEPTION(InputError, with_sequence_length(m, 9));
    QVERIFY_THROWS_EXCEPTION(InputError, with_sequence_length(m, 0));
  }

  void unsupportedOrBrokenCheckpointsAreOneLine_data() {
    QTest::addColumn<QString>("config");
    QTest::addColumn<QString>("change");  // what is done to the weights
    QTest::addColumn<QString>("expected");
    const QString hf = QString::fromStdString(hf_config());
    QTest::newRow("relu") << QString::fromStdString(hf_config("", "relu")) << ""
                          << "ckpt/config.json: key activation_function is \"relu\"";
    QTest::newRow("cross-attention flag") << QString::fromStdString(hf_config(", \"add_cross_attention\": true"))
                                          << "" << "key add_cross_attention is true: cross-attention";
    QTest::newRow("cross-attention tensor") << hf << "cross"
                                            << "ckpt/model.safetensors: unexpected tensor h.0.crossattention.c_attn.weight (cross-attention is not supported)";
    QTest::newRow("epsilon") << QString::fromStdString(hf_config("", "gelu_new", "1e-6")) << ""
                             << "key layer_norm_epsilon is 1e-06";
    QTest::newRow("missing tensor") << hf << "drop h.1.mlp.c_fc.weight"
                                    << "ckpt/model.safetensors: tensor h.1.mlp.c_fc.weight is missing";
    QTest::newRow("wrong shape") << hf << "shape h.1.mlp.c_proj.weight"
                                 << "ckpt/model.safetensors: tensor h.1.mlp.c_proj.weight has shape";
    QTest::newRow("untied head") << hf << "untied"
                                 << "lm_head.weight differs from wte.weight";
    QTest::newRow("heads") << QString::fromStdString(hf_config()).replace("\"n_head\": 2", "\"n_head\": 3")
                           << "" << "ckpt/config.json: n_embd 8 is not divisible by n_head 3";
    QTest::newRow("float size") << QString::fromStdString(hf_config()).replace("\"n_layer\": 2", "\"n_layer\": 2.0")
                                << "" << "ckpt/config.json: n_layer is not an integer";
    QTest::newRow("missing key") << QString::fromStdString(hf_config()).replace("\"vocab_size\": 13, ", "")
                                 << "" << "ckpt/config.json: key vocab_size is missing";
    QTest::newRow("other model") << QString::fromStdString(hf_config()).replace("\"gpt2\"", "\"bert\"")
                                 << "" << "key model_type is \"bert\", not \"gpt2\"";
    QTest::newRow("not json") << "{\"vocab_size\": " << "" << "ckpt/config.json: not valid JSON";
    QTest::newRow("not an object") << "[1, 2]" << "" << "ckpt/config.json: not a JSON object";
    QTest::newRow("unknown tensor") << hf << "extra"
                                    << "unexpected tensor h.0.attn.rotary (not part of a GPT-2 of this config)";
  }
  void unsupportedOrBrokenCheckpointsAreOneLine() {
    QFETCH(QString, config);
    QFETCH(QString, change);
    QFETCH(QString, expected);
    const Gpt2Weights w = make_weights(5, true);
    SafetensorsFile f = checkpoint(w, true, true);
    const std::string c = change.toStdString();
    if (c == "cross" || c == "extra") {
      Tensor t;
      t.shape = {2};
      t.data = {1, 2};
      f.tensors.emplace_back(c == "cross" ? "h.0.crossattention.c_attn.weight" : "h.0.attn.rotary", t);
    } else if (c.rfind("drop ", 0) == 0) {
      std::erase_if(f.tensors, [&](const auto& e) { return e.first == c.substr(5); });
    } else if (c.rfind("shape ", 0) == 0) {
      for (auto& [name, t] : f.tensors)
        if (name == c.substr(6)) std::swap(t.shape[0], t.shape[1]);
    } else if (c == "untied") {
      Tensor head = f.tensors.front().second;
      head.data[0] += 1.0f;
      f.tensors.emplace_back("lm_head.weight", head);
    }
    const std::string msg = error_of(config.toStdString(), f);
    QVERIFY2(msg.find(expected.toStdString()) != std::string::npos, msg.c_str());
    QVERIFY2(msg.find('\n') == std::string::npos, msg.c_str());
  }
};

QTEST_APPLESS_MAIN(TestGpt2Import)
#include "test_gpt2_import.moc"
