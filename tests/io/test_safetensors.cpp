// safetensors reading/writing, PyTorch state_dict MLPs (with LayerNorm), Ridgeline's own
// model files.
#include <QtTest>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>

#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/model_io.h"
#include "test_support.h"

using namespace ridgeline;
using ridgeline::test::ScratchDir;

namespace {

struct RawTensor {
  std::string name, dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

template <typename T>
std::string as_bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

std::string u64le(uint64_t n) {
  std::string s;
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return s;
}

/// A safetensors file built by hand: JSON header written as text, data packed in order.
std::string build(const std::vector<RawTensor>& ts, const std::string& metadata_json = "") {
  std::string header = "{";
  std::string data;
  if (!metadata_json.empty()) header += "\"__metadata__\":" + metadata_json;
  for (const auto& t : ts) {
    if (header.size() > 1) header += ",";
    header += "\"" + t.name + "\":{\"dtype\":\"" + t.dtype + "\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i) {
      if (i) header += ",";
      header += std::to_string(t.shape[i]);
    }
    header += "],\"data_offsets\":[" + std::to_string(data.size()) + "," +
              std::to_string(data.size() + t.bytes.size()) + "]}";
    data += t.bytes;
  }
  header += "}";
  return u64le(header.size()) + header + data;
}

std::string raw_file(const std::string& header, const std::string& data) {
  return u64le(header.size()) + header + data;
}

void put(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<float> iota_f(size_t n, float start, float step) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + step * static_cast<float>(i);
  return v;
}

RawTensor f32(const std::string& name, std::vector<int64_t> shape, const std::vector<float>& v) {
  return {name, "F32", std::move(shape), as_bytes(v)};
}

template <typename F>
void expect_input_error(const std::string& path, const std::string& part, F&& f) {
  try {
    f();
    QFAIL(("no InputError (" + part + ")").c_str());
  } catch (const InputError& e) {
    const std::string msg = e.what();
    QVERIFY2(msg.find(path) != std::string::npos, msg.c_str());
    QVERIFY2(msg.find(part) != std::string::npos, msg.c_str());
  }
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
}

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT
 private slots:
  void roundTrip() {
    ScratchDir dir("st");
    SafetensorsFile f;
    std::vector<float> special{0.0f, -0.0f, 1.0f, -1.5f, std::numeric_limits<float>::denorm_min(),
                               std::numeric_limits<float>::infinity(),
                               std::bit_cast<float>(0x7fc01234u), 3.14159274f};
    f.tensors.push_back({"z.last", Tensor{{2, 4}, special}});
    f.tensors.push_back({"a.first", Tensor{{3}, {1e-20f, 2e20f, -7.0f}}});
    f.tensors.push_back({"m.scalar", Tensor{{}, {42.0f}}});
    f.tensors.push_back({"empty", Tensor{{0, 5}, {}}});
    f.metadata = {{"format", "pt"}, {"note", "hé \"quoted\""}};
    const std::string p = dir.file("sub/rt.safetensors");
    write_safetensors(p, f);

    std::ifstream in(p, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
    QCOMPARE(n % 8, uint64_t(0));
    QCOMPARE(bytes.size(), size_t(8 + n + (8 + 3 + 1) * 4));
    QVERIFY(bytes.substr(8, n).find("\"F32\"") != std::string::npos);

    // The file holds +inf and NaN on purpose: refused by default, read bit-exactly when allowed.
    expect_input_error(p, "tensor z.last: element 5 of 8 is +inf", [&] { read_safetensors(p); });
    SafetensorsReadOptions allow;
    allow.allow_non_finite = true;
    SafetensorsFile g = read_safetensors(p, allow);
    QCOMPARE(g.tensors.size(), size_t(4));
    QCOMPARE(g.tensors[0].first, std::string("z.last"));
    QCOMPARE(g.tensors[1].first, std::string("a.first"));
    QCOMPARE(g.tensors[2].first, std::string("m.scalar"));
    QCOMPARE(g.tensors[3].first, std::string("empty"));
    for (size_t i = 0; i < 4; ++i) {
      QCOMPARE(g.tensors[i].second.shape, f.tensors[i].second.shape);
      QVERIFY(same_bits(g.tensors[i].second.data, f.tensors[i].second.data));
    }
    QCOMPARE(g.metadata, f.metadata);
    QVERIFY(g.find("a.first") == &g.tensors[1].second);
    QVERIFY(g.find("nope") == nullptr);
  }

  void pytorchF32() {
    ScratchDir dir("st");
    const auto w0 = iota_f(12, -1.0f, 0.125f), b0 = iota_f(3, 0.5f, 1.0f);
    const auto w2 = iota_f(6, 2.0f, -0.25f), b2 = iota_f(2, -3.0f, 0.5f);
    const std::string p = dir.file("torch.safetensors");
    // Header order deliberately scrambled: chaining, not file order, decides.
    put(p, build({f32("2.bias", {2}, b2), f32("0.weight", {3, 4}, w0), f32("2.weight", {2, 3}, w2),
                  f32("0.bias", {3}, b0)},
                 "{\"format\":\"pt\"}"));
    Mlp m = load_mlp(p);
    QCOMPARE(m.arch.widths, (std::vector<int>{4, 3, 2}));
    QCOMPARE(m.arch.layer_names, (std::vector<std::string>{"0", "2"}));
    std::vector<float> expect;
    for (const auto* v : {&w0, &b0, &w2, &b2}) expect.insert(expect.end(), v->begin(), v->end());
    QVERIFY(same_bits(m.params, expect));
    ParamLayout lay(m.arch);
    QCOMPARE(lay.total, size_t(12 + 3 + 6 + 2));
    QCOMPARE(m.params[lay.bias_offset[1] + 1], -2.5f);
  }

  void pytorchOtherDtypes() {
    ScratchDir dir("st");
    // F16: 1, -2, 0.5, smallest subnormal 2^-24, subnormal 2^-15, 65504, -0, 1/3≈0x3555
    const std::vector<uint16_t> h{0x3C00, 0xC000, 0x3800, 0x0001, 0x0200, 0x7BFF, 0x8000, 0x3555};
    const std::vector<float> hv{1.0f, -2.0f, 0.5f, std::ldexp(1.0f, -24), std::ldexp(1.0f, -15),
                                65504.0f, -0.0f, 0.333251953125f};
    const std::vector<uint16_t> hb{0x3C00, 0x4000};
    // BF16: 1, -2.5, 3.140625, 2^-129 (a subnormal), 1, 0
    const std::vector<uint16_t> bf{0x3F80, 0xC020, 0x4049, 0x0010, 0x3F80, 0x0000};
    const std::vector<float> bfv{1.0f, -2.5f, 3.140625f, std::ldexp(1.0f, -129), 1.0f, 0.0f};
    const std::vector<double> dw{0.1, -0.2, 1e-3, 1e30, -1e-40, 5.0};
    const std::vector<double> db{0.25, -3e38};
    const std::string p = dir.file("mixed.safetensors");
    put(p, build({{"fc1.weight", "F16", {2, 4}, as_bytes(h)},
                  {"fc1.bias", "F16", {2}, as_bytes(hb)},
                  {"fc2.weight", "BF16", {3, 2}, as_bytes(bf)},
                  {"fc2.bias", "F64", {3}, as_bytes(std::vector<double>{0.1, -1e-40, 3.4028235e38})},
                  {"fc3.weight", "F64", {2, 3}, as_bytes(dw)},
                  {"fc3.bias", "F64", {2}, as_bytes(db)}}));
    SafetensorsFile f = read_safetensors(p);
    QVERIFY(same_bits(f.find("fc1.weight")->data, hv));
    QVERIFY(same_bits(f.find("fc2.weight")->data, bfv));
    const auto& dv = f.find("fc3.weight")->data;
    for (size_t i = 0; i < dw.size(); ++i) QCOMPARE(dv[i], static_cast<float>(dw[i]));
    QCOMPARE(f.find("fc3.bias")->data[1], -3e38f);
    QCOMPARE(f.find("fc2.bias")->data[2], std::numeric_limits<float>::max());
    Mlp m = load_mlp(p);
    QCOMPARE(m.arch.widths, (std::vector<int>{4, 2, 3, 2}));
    QCOMPARE(m.arch.layer_names, (std::vector<std::string>{"fc1", "fc2", "fc3"}));
    QCOMPARE(m.params.size(), size_t(8 + 2 + 6 + 3 + 6 + 2));
    QCOMPARE(m.params[0], 1.0f);
    QCOMPARE(m.params[8 + 1], 2.0f);          // fc1.bias[1]
    QCOMPARE(m.params[10 + 2], 3.140625f);    // fc2.weight[0,2]... row-major [3,2]: index 2
    QCOMPARE(m.params[16], 0.1f);             // fc2.bias[0]

    // Special F16 values.
    const std::vector<uint16_t> sp{0x7C00, 0xFC00, 0x7E00, 0x83FF};
    const std::string q = dir.file("special.safetensors");
    put(q, build({{"x", "F16", {4}, as_bytes(sp)}}));
    SafetensorsReadOptions allow;
    allow.allow_non_finite = true;
    const SafetensorsFile sf = read_safetensors(q, allow);
    const auto& s = sf.find("x")->data;
    QVERIFY(std::isinf(s[0]) && s[0] > 0);
    QVERIFY(std::isinf(s[1]) && s[1] < 0);
    QVERIFY(std::isnan(s[2]));
    QCOMPARE(s[3], -1023.0f * std::ldexp(1.0f, -24));
  }

  void chainOrdering() {
    ScratchDir dir("st");
    // Square layers chain either way: natural sort decides, "2" before "10".
    const std::string p = dir.file("nat.safetensors");
    put(p, build({f32("layers.10.weight", {3, 3}, iota_f(9, 10, 1)),
                  f32("layers.10.bias", {3}, iota_f(3, 100, 1)),
                  f32("layers.2.weight", {3, 3}, iota_f(9, 20, 1)),
                  f32("layers.2.bias", {3}, iota_f(3, 200, 1))}));
    Mlp m = load_mlp(p);
    QCOMPARE(m.arch.layer_names, (std::vector<std::string>{"layers.2", "layers.10"}));
    QCOMPARE(m.params[0], 20.0f);
    // Shapes override natural order: fc2 (4→3) must come before fc1 (3→5).
    const std::string q = dir.file("shape.safetensors");
    put(q, build({f32("fc1.weight", {5, 3}, iota_f(15, 0, 1)), f32("fc1.bias", {5}, iota_f(5, 0, 1)),
                  f32("fc2.weight", {3, 4}, iota_f(12, 0, 1)), f32("fc2.bias", {3}, iota_f(3, 0, 1))}));
    Mlp n = load_mlp(q);
    QCOMPARE(n.arch.widths, (std::vector<int>{4, 3, 5}));
    QCOMPARE(n.arch.layer_names, (std::vector<std::string>{"fc2", "fc1"}));
    // nn.Sequential 0, 2, 4 where "4" also fits after "0": the search must back off.
    const std::string r = dir.file("seq.safetensors");
    put(r, build({f32("4.weight", {2, 8}, iota_f(16, 0, 1)), f32("4.bias", {2}, iota_f(2, 0, 1)),
                  f32("2.weight", {8, 8}, iota_f(64, 0, 1)), f32("2.bias", {8}, iota_f(8, 0, 1)),
                  f32("0.weight", {8, 4}, iota_f(32, 0, 1)), f32("0.bias", {8}, iota_f(8, 0, 1))}));
    Mlp s = load_mlp(r);
    QCOMPARE(s.arch.widths, (std::vector<int>{4, 8, 8, 2}));
    QCOMPARE(s.arch.layer_names, (std::vector<std::string>{"0", "2", "4"}));
  }

  void saveLoadMlp() {
    ScratchDir dir("st");
    Mlp m;
    m.arch.widths = {5, 4, 3};
    ParamLayout lay(m.arch);
    m.params = iota_f(lay.total, -1.0f, 0.0123f);
    m.params[3] = std::numeric_limits<float>::denorm_min();
    const std::string p = dir.file("model.safetensors");
    save_mlp(p, m, {{"seed", "7"}, {"ridgeline.arch", "bogus"}});
    SafetensorsFile f = read_safetensors(p);
    QCOMPARE(f.tensors.size(), size_t(4));
    QCOMPARE(f.tensors[0].first, std::string("fc0.weight"));
    QCOMPARE(f.tensors[1].first, std::string("fc0.bias"));
    QCOMPARE(f.tensors[3].first, std::string("fc1.bias"));
    QCOMPARE(f.tensors[0].second.shape, (std::vector<int64_t>{4, 5}));
    QCOMPARE(f.metadata.at("ridgeline.arch"), std::string("mlp:5,4,3"));
    QCOMPARE(f.metadata.at("ridgeline.layers"), std::string("fc0,fc1"));
    QCOMPARE(f.metadata.at("ridgeline.activation"), std::string("relu"));
    QCOMPARE(f.metadata.at("ridgeline.layernorm"), std::string("0"));
    QCOMPARE(f.metadata.at("format"), std::string("pt"));
    QCOMPARE(f.metadata.at("seed"), std::string("7"));
    Mlp g = load_mlp(p);
    QCOMPARE(g.arch.widths, m.arch.widths);
    QCOMPARE(g.arch.layer_names, (std::vector<std::string>{"fc0", "fc1"}));
    QVERIFY(same_bits(g.params, m.params));
    // Named layers keep their names; the result is a plain state_dict too.
    m.arch.layer_names = {"0", "2"};
    save_mlp(p, m);
    QVERIFY(read_safetensors(p).find("2.weight") != nullptr);
    Mlp h = load_mlp(p);
    QCOMPARE(h.arch.layer_names, m.arch.layer_names);
    QVERIFY(same_bits(h.params, m.params));
  }

  void pytorchLayerNormGelu() {
    // nn.Sequential(Linear(3,4), LayerNorm(4), GELU(), Linear(4,2)).state_dict(), header order
    // scrambled: "1" is recognised as the LayerNorm of "0" (1-D, size = 0's out).
    ScratchDir dir("st");
    const auto w0 = iota_f(12, -1.0f, 0.125f), b0 = iota_f(4, 0.5f, 1.0f);
    const auto g1 = iota_f(4, 1.5f, 0.25f), be1 = iota_f(4, -0.5f, 0.1f);
    const auto w3 = iota_f(8, 2.0f, -0.25f), b3 = iota_f(2, -3.0f, 0.5f);
    const std::string p = dir.file("torch_ln.safetensors");
    put(p, build({f32("3.weight", {2, 4}, w3), f32("1.bias", {4}, be1), f32("0.weight", {4, 3}, w0),
                  f32("3.bias", {2}, b3), f32("1.weight", {4}, g1), f32("0.bias", {4}, b0)},
                 "{\"format\":\"pt\"}"));
    Mlp m = load_mlp(p);
    QCOMPARE(m.arch.widths, (std::vector<int>{3, 4, 2}));
    QVERIFY(m.arch.layernorm);
    QVERIFY(m.arch.activation == Activation::Relu);  // a state_dict cannot say; default
    QCOMPARE(m.arch.layer_names, (std::vector<std::string>{"0", "3"}));
    QCOMPARE(m.arch.norm_names, (std::vector<std::string>{"1"}));
    std::vector<float> expect;
    for (const auto* v : {&w0, &b0, &g1, &be1, &w3, &b3}) expect.insert(expect.end(), v->begin(), v->end());
    QVERIFY(same_bits(m.params, expect));
    Mlp gm = load_mlp(p, Activation::Gelu);
    QVERIFY(gm.arch.activation == Activation::Gelu);
    QCOMPARE(gm.arch.to_string(), std::string("mlp:3,4,2+ln+gelu"));
    QVERIFY(same_bits(gm.params, expect));

    // Two hidden layers of the same width: 0 Linear, 1 LN, 3 Linear, 4 LN, 6 Linear. Sizes
    // cannot tell the LayerNorms apart; natural order of names does.
    const std::string q = dir.file("torch_ln2.safetensors");
    put(q, build({f32("6.weight", {2, 4}, iota_f(8, 0, 1)), f32("6.bias", {2}, {1, 2}),
                  f32("4.weight", {4}, {40, 41, 42, 43}), f32("4.bias", {4}, {44, 45, 46, 47}),
                  f32("3.weight", {4, 4}, iota_f(16, 0, 1)), f32("3.bias", {4}, iota_f(4, 0, 1)),
                  f32("1.weight", {4}, {10, 11, 12, 13}), f32("1.bias", {4}, {14, 15, 16, 17}),
                  f32("0.weight", {4, 3}, iota_f(12, 0, 1)), f32("0.bias", {4}, iota_f(4, 0, 1))}));
    Mlp n = load_mlp(q, Activation::Gelu);
    QCOMPARE(n.arch.to_string(), std::string("mlp:3,4,4,2+ln+gelu"));
    QCOMPARE(n.arch.norm_names, (std::vector<std::string>{"1", "4"}));
    const ParamLayout lay(n.arch);
    QCOMPARE(n.params[lay.ln_weight_offset[0]], 10.0f);
    QCOMPARE(n.params[lay.ln_bias_offset[0] + 3], 17.0f);
    QCOMPARE(n.params[lay.ln_weight_offset[1] + 1], 41.0f);
    QCOMPARE(n.params[lay.ln_bias_offset[1]], 44.0f);
    // Sizes decide when they differ, whatever the names: "normA" (5) after the 3→5 layer.
    const std::string r = dir.file("named_ln.safetensors");
    put(r, build({f32("fc1.weight", {5, 3}, iota_f(15, 0, 1)), f32("fc1.bias", {5}, iota_f(5, 0, 1)),
                  f32("fc2.weight", {4, 5}, iota_f(20, 0, 1)), f32("fc2.bias", {4}, iota_f(4, 0, 1)),
                  f32("fc3.weight", {2, 4}, iota_f(8, 0, 1)), f32("fc3.bias", {2}, {0, 0}),
                  f32("normA.weight", {4}, {7, 7, 7, 7}), f32("normA.bias", {4}, {0, 0, 0, 0}),
                  f32("normB.weight", {5}, {9, 9, 9, 9, 9}), f32("normB.bias", {5}, {0, 0, 0, 0, 0})}));
    Mlp k = load_mlp(r);
    QCOMPARE(k.arch.widths, (std::vector<int>{3, 5, 4, 2}));
    QCOMPARE(k.arch.norm_names, (std::vector<std::string>{"normB", "normA"}));
    QCOMPARE(k.params[ParamLayout(k.arch).ln_weight_offset[1]], 7.0f);
  }

  void layerNormStateDictErrors() {
    ScratchDir dir("st");
    const std::string p = dir.file("ln_bad.safetensors");
    auto check = [&](const std::vector<RawTensor>& ts, const std::string& part) {
      put(p, build(ts));
      expect_input_error(p, part, [&] { load_mlp(p); });
    };
    const auto lin0 = f32("0.weight", {4, 3}, iota_f(12, 0, 1)), bias0 = f32("0.bias", {4}, iota_f(4, 0, 1));
    const auto lin2 = f32("2.weight", {4, 4}, iota_f(16, 0, 1)), bias2 = f32("2.bias", {4}, iota_f(4, 0, 1));
    const auto lin4 = f32("4.weight", {2, 4}, iota_f(8, 0, 1)), bias4 = f32("4.bias", {2}, {0, 0});
    // One LayerNorm for two hidden layers.
    check({lin0, bias0, lin2, bias2, lin4, bias4, f32("1.weight", {4}, iota_f(4, 1, 0)),
           f32("1.bias", {4}, iota_f(4, 0, 0))},
          "a LayerNorm must follow every hidden Linear");
    // A LayerNorm the size of the output layer (the output layer never has one).
    check({lin0, bias0, f32("2.weight", {2, 4}, iota_f(8, 0, 1)), f32("2.bias", {2}, {0, 0}),
           f32("3.weight", {2}, {1, 1}), f32("3.bias", {2}, {0, 0})},
          "no LayerNorm of size 4 for Linear 0.weight");
    // LayerNorm weight and bias of different sizes.
    check({lin0, bias0, lin4, bias4, f32("1.weight", {4}, iota_f(4, 1, 0)), f32("1.bias", {3}, {0, 0, 0})},
          "1.weight");
    // LayerNorms and no Linear at all.
    check({f32("1.weight", {4}, iota_f(4, 1, 0)), f32("1.bias", {4}, iota_f(4, 0, 0))}, "not an MLP");
    // A 3-D weight.
    check({f32("0.weight", {1, 4, 3}, iota_f(12, 0, 1)), bias0}, "2-D");
  }

  void saveLoadLayerNormGelu() {
    ScratchDir dir("st");
    Mlp m = init_mlp(parse_arch("mlp:5,4,3,2+ln+gelu"), 7);
    const ParamLayout lay(m.arch);
    for (size_t i = 0; i < m.params.size(); ++i) m.params[i] += 0.001f * static_cast<float>(i);
    const std::string p = dir.file("lngelu.safetensors");
    save_mlp(p, m);
    SafetensorsFile f = read_safetensors(p);
    std::vector<std::string> names;
    for (const auto& [n, t] : f.tensors) names.push_back(n);
    QCOMPARE(names, (std::vector<std::string>{"fc0.weight", "fc0.bias", "ln0.weight", "ln0.bias",
                                              "fc1.weight", "fc1.bias", "ln1.weight", "ln1.bias",
                                              "fc2.weight", "fc2.bias"}));
    QCOMPARE(f.find("ln1.bias")->shape, (std::vector<int64_t>{3}));
    QCOMPARE(f.metadata.at("ridgeline.arch"), std::string("mlp:5,4,3,2+ln+gelu"));
    QCOMPARE(f.metadata.at("ridgeline.activation"), std::string("gelu"));
    QCOMPARE(f.metadata.at("ridgeline.layernorm"), std::string("1"));
    QCOMPARE(f.metadata.at("ridgeline.norms"), std::string("ln0,ln1"));
    Mlp g = load_mlp(p, Activation::Relu);  // the override is for state_dicts only
    QVERIFY(g.arch.same_shape(m.arch));
    QCOMPARE(g.arch.norm_names, (std::vector<std::string>{"ln0", "ln1"}));
    QVERIFY(same_bits(g.params, m.params));
    // The same file without Ridgeline metadata is a state_dict that loads to the same params.
    const std::string q = dir.file("plain.safetensors");
    SafetensorsFile bare = f;
    bare.metadata.clear();
    write_safetensors(q, bare);
    Mlp h = load_mlp(q, Activation::Gelu);
    QVERIFY(h.arch.same_shape(m.arch));
    QVERIFY(same_bits(h.params, m.params));
    // PyTorch nn.Sequential names survive a round trip.
    m.arch.layer_names = {"0", "3", "6"};
    m.arch.norm_names = {"1", "4"};
    save_mlp(p, m);
    QVERIFY(read_safetensors(p).find("4.weight") != nullptr);
    Mlp s = load_mlp(p);
    QCOMPARE(s.arch.layer_names, m.arch.layer_names);
    QCOMPARE(s.arch.norm_names, m.arch.norm_names);
    QVERIFY(same_bits(s.params, m.params));
    // A plain ReLU net writes layernorm "0" and no norms.
    Mlp plain = init_mlp(parse_arch("mlp:5,4,2"), 1);
    plain.arch.norm_names = {"stale"};
    save_mlp(p, plain);
    SafetensorsFile pf = read_safetensors(p);
    QCOMPARE(pf.metadata.at("ridgeline.layernorm"), std::string("0"));
    QCOMPARE(pf.metadata.count("ridgeline.norms"), size_t(0));
    QCOMPARE(pf.tensors.size(), size_t(4));
  }

  void layerNormMetadataErrors() {
    ScratchDir dir("st");
    const std::string p = dir.file("meta_ln.safetensors");
    const auto w = f32("fc0.weight", {3, 4}, iota_f(12, 0, 1)), b = f32("fc0.bias", {3}, iota_f(3, 0, 1));
    const auto w1 = f32("fc1.weight", {2, 3}, iota_f(6, 0, 1)), b1 = f32("fc1.bias", {2}, {0, 0});
    const auto g = f32("ln0.weight", {3}, {1, 1, 1}), be = f32("ln0.bias", {3}, {0, 0, 0});
    put(p, build({w, b, w1, b1}, "{\"ridgeline.arch\":\"mlp:4,3,2\",\"ridgeline.layers\":\"fc0,fc1\","
                                 "\"ridgeline.activation\":\"gelu\"}"));
    expect_input_error(p, "disagrees", [&] { load_mlp(p); });
    put(p, build({w, b, w1, b1}, "{\"ridgeline.arch\":\"mlp:4,3,2\",\"ridgeline.layers\":\"fc0,fc1\","
                                 "\"ridgeline.activation\":\"tanh\"}"));
    expect_input_error(p, "unsupported activation", [&] { load_mlp(p); });
    put(p, build({w, b, w1, b1, g, be}, "{\"ridgeline.arch\":\"mlp:4,3,2+ln\",\"ridgeline.layers\":\"fc0,fc1\"}"));
    expect_input_error(p, "ridgeline.norms", [&] { load_mlp(p); });
    put(p, build({w, b, w1, b1, g}, "{\"ridgeline.arch\":\"mlp:4,3,2+ln\",\"ridgeline.layers\":\"fc0,fc1\","
                                    "\"ridgeline.norms\":\"ln0\"}"));
    expect_input_error(p, "ln0.bias", [&] { load_mlp(p); });
    put(p, build({w, b, w1, b1, g, be}, "{\"ridgeline.arch\":\"mlp:4,3,2\",\"ridgeline.layers\":\"fc0,fc1\"}"));
    expect_input_error(p, "unexpected tensor ln0.weight", [&] { load_mlp(p); });
    put(p, build({w, b, w1, b1, g, be}, "{\"ridgeline.arch\":\"mlp:4,3,2+ln\",\"ridgeline.layers\":\"fc0,fc1\","
                                        "\"ridgeline.norms\":\"ln0\",\"ridgeline.layernorm\":\"1\"}"));
    QVERIFY(load_mlp(p).arch.layernorm);
  }

  void metadataMustMatchTensors() {
    ScratchDir dir("st");
    const std::string p = dir.file("meta.safetensors");
    const std::string meta = "{\"ridgeline.arch\":\"mlp:4,3\",\"ridgeline.layers\":\"fc0\"}";
    put(p, build({f32("fc0.weight", {3, 5}, iota_f(15, 0, 1)), f32("fc0.bias", {3}, iota_f(3, 0, 1))},
                 meta));
    expect_input_error(p, "fc0.weight", [&] { load_mlp(p); });
    put(p, build({f32("fc0.weight", {3, 4}, iota_f(12, 0, 1))}, meta));
    expect_input_error(p, "fc0.bias", [&] { load_mlp(p); });
  }

  void checkCompatible() {
    Mlp a, b;
    a.arch.widths = {784, 512, 10};
    b.arch.widths = {784, 256, 10};
    check_compatible(a, "A.safetensors", a, "C.safetensors");
    try {
      check_compatible(a, "A.safetensors", b, "B.safetensors");
      QFAIL("expected InputError");
    } catch (const InputError& e) {
      QCOMPARE(std::string(e.what()),
               std::string("A.safetensors (mlp:784,512,10) and B.safetensors (mlp:784,256,10) "
                           "have different architectures"));
    }
  }

  void malformed() {
    ScratchDir dir("st");
    const std::string p = dir.file("bad.safetensors");
    const std::string four = as_bytes(std::vector<float>{1, 2, 3, 4});
    expect_input_error(dir.file("missing.safetensors"), "cannot read",
                       [&] { read_safetensors(dir.file("missing.safetensors")); });
    auto check = [&](const std::string& bytes, const std::string& part) {
      put(p, bytes);
      expect_input_error(p, part, [&] { read_safetensors(p); });
      expect_input_error(p, part, [&] { load_mlp(p); });
    };
    check("abcde", "too short");
    check(u64le(1000) + "{}", "runs past the end");
    check(raw_file("{not json", ""), "not valid JSON");
    check(raw_file("[1,2]", ""), "does not begin with '{'");
    check(raw_file("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", four.substr(0, 4)),
          "past the data");
    check(raw_file("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", four), "shape [3]");
    check(raw_file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                   "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", four),
          "overlap");
    check(raw_file("{\"x\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}", four),
          "unsupported dtype I32 for tensor x");
    check(raw_file("{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", four), "negative");
    check(raw_file("{\"x\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", four), "integers");
    check(raw_file("{\"x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", four), "end before");
    check(raw_file("{\"x\":{\"dtype\":\"F32\",\"shape\":[2]}}", four), "data_offsets");
    check(raw_file("{\"__metadata__\":{\"a\":1}}", ""), "__metadata__");
    check(raw_file("{\"x\":{\"dtype\":\"F32\",\"shape\":[4000000000,4000000000,4000000000],"
                   "\"data_offsets\":[0,8]}}", four), "shape");
    // Truncated data: a valid file missing its last bytes.
    const std::string good = build({f32("0.weight", {2, 2}, iota_f(4, 0, 1)), f32("0.bias", {2}, {1, 2})});
    check(good.substr(0, good.size() - 3), "truncated");
  }

  void nonFiniteRefusedNamingTensor() {
    ScratchDir dir("st");
    const std::string p = dir.file("nan.safetensors");
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    auto check = [&](const RawTensor& bad_tensor, const std::string& part) {
      put(p, build({f32("0.weight", {2, 2}, iota_f(4, 0, 1)), bad_tensor}));
      expect_input_error(p, part, [&] { read_safetensors(p); });
      expect_input_error(p, part, [&] { load_mlp(p); });
      SafetensorsReadOptions allow;
      allow.allow_non_finite = true;
      QCOMPARE(read_safetensors(p, allow).tensors.size(), size_t(2));
    };
    check(f32("0.bias", {2}, {1.0f, nan}), "tensor 0.bias: element 1 of 2 is NaN");
    check(f32("0.bias", {2}, {-inf, 1.0f}), "tensor 0.bias: element 0 of 2 is -inf");
    check({"0.bias", "F16", {2}, as_bytes(std::vector<uint16_t>{0x3C00, 0x7C00})},
          "tensor 0.bias: element 1 of 2 is +inf");
    check({"0.bias", "BF16", {2}, as_bytes(std::vector<uint16_t>{0x7FC0, 0x3F80})},
          "tensor 0.bias: element 0 of 2 is NaN");
    check({"0.bias", "F64", {2}, as_bytes(std::vector<double>{1.0, -HUGE_VAL})},
          "tensor 0.bias: element 1 of 2 is -inf");
  }

  void f64OverflowRefusedNamingTensor() {
    ScratchDir dir("st");
    const std::string p = dir.file("f64.safetensors");
    for (double v : {1e300, -1e39, 3.40282357e38}) {
      put(p, build({{"big", "F64", {3}, as_bytes(std::vector<double>{0.0, 1.0, v})}}));
      expect_input_error(p, "tensor big: F64 element 2", [&] { read_safetensors(p); });
      expect_input_error(p, "overflows float32", [&] { read_safetensors(p); });
    }
  }

  void holesOverlapsAndStrayBytesRefused() {
    ScratchDir dir("st");
    const std::string p = dir.file("cover.safetensors");
    const std::string eight = as_bytes(std::vector<float>{1, 2});
    auto check = [&](const std::string& header, const std::string& data, const std::string& part) {
      put(p, raw_file(header, data));
      expect_input_error(p, part, [&] { read_safetensors(p); });
    };
    auto entry = [](const std::string& name, int n, int b, int e) {
      return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[" + std::to_string(n) +
             "],\"data_offsets\":[" + std::to_string(b) + "," + std::to_string(e) + "]}";
    };
    // A hole between two tensors, before the first, and bytes after the last.
    check(std::string("{") + entry("a", 1, 0, 4) + "," + entry("b", 1, 8, 12) + "}", eight + "xxxx",
          "data bytes 4 to 8 belong to no tensor (a hole between a and b)");
    check(std::string("{") + entry("a", 1, 4, 8) + "}", eight, "data bytes 0 to 4 belong to no tensor (a hole before a)");
    check(std::string("{") + entry("a", 1, 0, 4) + "}", eight, "the last 4 data bytes belong to no tensor");
    check("{}", eight, "the last 8 data bytes belong to no tensor");
    // Overlaps: identical ranges, and an empty tensor inside another's bytes.
    check(std::string("{") + entry("a", 2, 0, 8) + "," + entry("b", 2, 0, 8) + "}", eight,
          "tensors a and b overlap");
    check(std::string("{") + entry("a", 2, 0, 8) + "," + entry("e", 0, 4, 4) + "}", eight, "overlap");
    // Empty tensors at the seams and an empty file are fine.
    put(p, raw_file(std::string("{") + entry("e", 0, 0, 0) + "," + entry("a", 2, 0, 8) + "," +
                        entry("z", 0, 8, 8) + "}", eight));
    QCOMPARE(read_safetensors(p).tensors.size(), size_t(3));
    put(p, raw_file("{}", ""));
    QCOMPARE(read_safetensors(p).tensors.size(), size_t(0));
  }

  void duplicateKeysRefused() {
    ScratchDir dir("st");
    const std::string p = dir.file("dup.safetensors");
    const std::string eight = as_bytes(std::vector<float>{1, 2});
    auto check = [&](const std::string& header, const std::string& data, const std::string& part) {
      put(p, raw_file(header, data));
      expect_input_error(p, part, [&] { read_safetensors(p); });
    };
    // nlohmann::json alone keeps the last "w" silently: the first tensor's bytes would be a
    // hole and the file would load as one tensor.
    check("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
          "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
          eight, "tensor name \"w\" appears twice in the header");
    check("{\"__metadata__\":{\"a\":\"1\"},\"__metadata__\":{\"a\":\"2\"}}", "",
          "tensor name \"__metadata__\" appears twice");
    check("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", "", "key \"a\" appears twice");
    check("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}",
          eight, "key \"dtype\" appears twice");
  }

  void headerShapeLimits() {
    ScratchDir dir("st");
    const std::string p = dir.file("deep.safetensors");
    // Deep nesting is refused by the parser callback before it builds anything.
    put(p, raw_file("{\"__metadata__\":{\"a\":" + std::string(100000, '[') +
                        std::string(100000, ']') + "}}", ""));
    expect_input_error(p, "nests deeper than 8 levels", [&] { read_safetensors(p); });
    put(p, raw_file(" {}", ""));
    expect_input_error(p, "does not begin with '{'", [&] { read_safetensors(p); });
    put(p, u64le(0));
    expect_input_error(p, "does not begin with '{'", [&] { read_safetensors(p); });
  }

  void echoedInputIsCutAndEscaped() {
    ScratchDir dir("st");
    const std::string p = dir.file("echo.safetensors");
    const std::string name = "evil\nname\x01" + std::string(300, 'x');
    auto check = [&](const std::string& header) {
      put(p, raw_file(header, ""));
      try {
        load_model(p);  // reads the file first: reader and loader messages both
        QFAIL("no InputError");
      } catch (const InputError& e) {
        const std::string msg = e.what();
        QVERIFY2(msg.find('\n') == std::string::npos, msg.c_str());
        QVERIFY2(msg.find('\x01') == std::string::npos, msg.c_str());
        QVERIFY2(msg.find("evil\\nname\\x01xxx") != std::string::npos, msg.c_str());
        QVERIFY2(msg.find("…") != std::string::npos, msg.c_str());
        QVERIFY2(msg.size() < p.size() + 200, msg.c_str());
      }
    };
    // JSON escapes (\n, \u0001) in the header become raw control characters in the name.
    const std::string json_name = "evil\\nname\\u0001" + std::string(300, 'x');
    check("{\"" + json_name + "\":{\"dtype\":\"I8\",\"shape\":[0],\"data_offsets\":[0,0]}}");
    check("{\"w\":{\"dtype\":\"" + json_name + "\",\"shape\":[0],\"data_offsets\":[0,0]}}");
    check("{\"__metadata__\":{\"" + json_name + "\":1}}");
    // Architecture text from metadata (fuzz_model_load found a newline echoed from here).
    check("{\"__metadata__\":{\"ridgeline.kind\":\"quadratic\",\"ridgeline.arch\":\"" + json_name +
          "\"}}");
    check("{\"__metadata__\":{\"ridgeline.arch\":\"" + json_name + "\",\"ridgeline.layers\":\"a\"}}");
    QCOMPARE(echo_input(name).substr(0, 14), std::string("evil\\nname\\x01"));
    QCOMPARE(echo_input("short"), std::string("short"));
    // Cut at 80 bytes, never inside a UTF-8 sequence ("é" is 2 bytes).
    const std::string accents(200, 'a');
    QCOMPARE(echo_input(std::string(79, 'a') + "é" + accents), std::string(79, 'a') + "…");
  }

  void hundredThousandLayersLoadInLinearTime() {
    // 100,000 square layers "blocks.<i>" written in reverse, an input layer whose name sorts
    // last and an output layer whose name sorts first (so the search must pass it over at
    // every step). Chain inference was quadratic: ~74 s; now well under a second.
    ScratchDir dir("st");
    constexpr int kLayers = 100000;
    SafetensorsFile f;
    f.tensors.push_back({"a_head.weight", Tensor{{3, 2}, iota_f(6, 0, 1)}});
    f.tensors.push_back({"a_head.bias", Tensor{{3}, {1, 2, 3}}});
    for (int i = kLayers - 1; i >= 0; --i) {
      const std::string name = std::string("blocks.") + std::to_string(i);
      f.tensors.push_back({name + ".weight", Tensor{{2, 2}, iota_f(4, static_cast<float>(i), 0)}});
      f.tensors.push_back({name + ".bias", Tensor{{2}, {0.5f, static_cast<float>(i)}}});
    }
    f.tensors.push_back({"z_in.weight", Tensor{{2, 5}, iota_f(10, 0, 1)}});
    f.tensors.push_back({"z_in.bias", Tensor{{2}, {1, 2}}});
    const std::string p = dir.file("deep.safetensors");
    write_safetensors(p, f);
    QElapsedTimer timer;
    timer.start();
    const Mlp m = load_mlp(p);
    const qint64 ms = timer.elapsed();
    qInfo("load_mlp of %d layers: %lld ms", kLayers + 2, static_cast<long long>(ms));
    QCOMPARE(m.arch.layer_names.size(), size_t(kLayers + 2));
    QCOMPARE(m.arch.layer_names.front(), std::string("z_in"));
    QCOMPARE(m.arch.layer_names.back(), std::string("a_head"));
    for (int i = 0; i < kLayers; ++i)
      QCOMPARE(m.arch.layer_names[static_cast<size_t>(i) + 1], std::string("blocks.") + std::to_string(i));
    QCOMPARE(m.arch.widths.front(), 5);
    QCOMPARE(m.arch.widths.back(), 3);
    // Generous for sanitizer builds and a busy machine; the quadratic search took ~74 s.
    QVERIFY2(ms < 20000, std::to_string(ms).c_str());

    // Cancelling (as the CLI's SIGINT/SIGTERM handler does) stops the load.
    CancelToken cancel;
    cancel.cancel();
    const SafetensorsFile g = read_safetensors(p);
    QVERIFY_THROWS_EXCEPTION(Cancelled, load_mlp(p, g, std::nullopt, &cancel));
    QVERIFY_THROWS_EXCEPTION(Cancelled, load_model(p, g, std::nullopt, &cancel));
  }

  void unchainableLayersFailFastWithShortMessage() {
    // 50,000 layers 2→2 and one 7→9 that connects to nothing: no chain. The search used to
    // try every start (each a full scan); the Euler condition rules it out at once, and the
    // message lists a few layers, not 50,001.
    ScratchDir dir("st");
    SafetensorsFile f;
    for (int i = 0; i < 50000; ++i) {
      std::string name = "l";  // built by appending: GCC 12 warns falsely (-Wrestrict) on "l" + s
      name += std::to_string(i);
      f.tensors.push_back({name + ".weight", Tensor{{2, 2}, {1, 0, 0, 1}}});
      f.tensors.push_back({name + ".bias", Tensor{{2}, {0, 0}}});
    }
    f.tensors.push_back({"odd.weight", Tensor{{9, 7}, std::vector<float>(63, 1.0f)}});
    f.tensors.push_back({"odd.bias", Tensor{{9}, std::vector<float>(9, 0.0f)}});
    const std::string p = dir.file("nochain.safetensors");
    write_safetensors(p, f);
    QElapsedTimer timer;
    timer.start();
    try {
      load_mlp(p);
      QFAIL("no InputError");
    } catch (const InputError& e) {
      const std::string msg = e.what();
      QVERIFY2(msg.find("do not chain") != std::string::npos, msg.c_str());
      QVERIFY2(msg.find("… and 49993 more") != std::string::npos, msg.c_str());
      QVERIFY2(msg.size() < 600, msg.c_str());
    }
    QVERIFY2(timer.elapsed() < 20000, std::to_string(timer.elapsed()).c_str());
    // A cycle with no open end chains from the first layer in natural order.
    const std::string q = dir.file("cycle.safetensors");
    put(q, build({f32("b.weight", {3, 4}, iota_f(12, 0, 1)), f32("b.bias", {3}, {1, 2, 3}),
                  f32("a.weight", {4, 3}, iota_f(12, 0, 1)), f32("a.bias", {4}, {1, 2, 3, 4})}));
    QCOMPARE(load_mlp(q).arch.layer_names, (std::vector<std::string>{"a", "b"}));
  }

  void chainMatchesExhaustiveSearch() {
    // The indexed search must pick what trying every order would: the first chain in
    // lexicographic order of natural-sorted names (here "l<k>": natural order is k), or none.
    ScratchDir dir("st");
    const std::string p = dir.file("rand.safetensors");
    std::mt19937 rng(12345);
    int chained = 0;
    for (int trial = 0; trial < 300; ++trial) {
      const int n = 1 + static_cast<int>(rng() % 7);
      std::vector<std::pair<int, int>> shapes(n);  // (in, out) of l<k>
      for (auto& [in, out] : shapes) in = 2 + static_cast<int>(rng() % 3), out = 2 + static_cast<int>(rng() % 3);
      std::vector<RawTensor> ts;
      for (int k = n - 1; k >= 0; --k) {
        const auto [in, out] = shapes[k];
        ts.push_back(f32(std::string("l") + std::to_string(k) + ".weight", {out, in}, iota_f(out * in, 0, 1)));
        ts.push_back(f32(std::string("l") + std::to_string(k) + ".bias", {out}, iota_f(out, 0, 1)));
      }
      put(p, build(ts));
      std::vector<int> order(n), expect;
      for (int k = 0; k < n; ++k) order[k] = k;
      do {
        bool ok = true;
        for (int i = 1; i < n && ok; ++i) ok = shapes[order[i]].first == shapes[order[i - 1]].second;
        if (ok) {
          expect = order;
          break;
        }
      } while (std::next_permutation(order.begin(), order.end()));
      if (expect.empty()) {
        expect_input_error(p, "do not chain", [&] { load_mlp(p); });
        continue;
      }
      ++chained;
      std::vector<std::string> names;
      for (int k : expect) names.push_back(std::string("l") + std::to_string(k));
      QCOMPARE(load_mlp(p).arch.layer_names, names);
    }
    QVERIFY(chained > 50);  // both outcomes are exercised
  }

  void notAnMlp() {
    ScratchDir dir("st");
    const std::string p = dir.file("x.safetensors");
    auto check = [&](const std::vector<RawTensor>& ts, const std::string& part) {
      put(p, build(ts));
      read_safetensors(p);  // a valid safetensors file...
      expect_input_error(p, part, [&] { load_mlp(p); });  // ...but not a loadable MLP
    };
    check({f32("0.weight", {2, 3}, iota_f(6, 0, 1))}, "0.weight");
    check({f32("0.weight", {2, 3}, iota_f(6, 0, 1)), f32("0.bias", {2}, {1, 2}),
           f32("1.bias", {3}, {1, 2, 3})},
          "1.bias");
    check({f32("a.weight", {3, 4}, iota_f(12, 0, 1)), f32("a.bias", {3}, {1, 2, 3}),
           f32("b.weight", {5, 6}, iota_f(30, 0, 1)), f32("b.bias", {5}, iota_f(5, 0, 1))},
          "do not chain");
    check({f32("0.weight", {2, 3}, iota_f(6, 0, 1)), f32("0.bias", {2}, {1, 2}),
           f32("bn.running_mean", {2}, {1, 2})},
          "unexpected tensor bn.running_mean");
    check({f32("0.weight", {2, 3}, iota_f(6, 0, 1)), f32("0.bias", {3}, {1, 2, 3})}, "0.bias");
    check({f32("0.weight", {6}, iota_f(6, 0, 1)), f32("0.bias", {3}, {1, 2, 3})}, "2-D");
    check({}, "not an MLP");
  }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
