// `ridgeline attention`: the attention lab on the command line (docs/USER_GUIDE.md, "The
// attention lab"). Analyses trained transformers (their maps on the first inputs, map metrics
// per layer and head, fidelity to softmax, accuracy), or trains one transformer per attention
// variant on the same data, seed and recipe and analyses each: a comparison of variants.
#include <cstdio>
#include <map>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/common.h"
#include "cli/progress.h"
#include "cli/provenance.h"
#include "ridgeline/attention/analysis.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/experiment/preflight.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/models/model_io.h"
#include "ridgeline/models/transformer/gpt2_import.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/tasks/sequence_tasks.h"
#include "ridgeline/text/bpe_tokenizer.h"
#include "ridgeline/train/distill.h"
#include "ridgeline/train/train_model.h"

namespace ridgeline::cli {

const CommandSpec& attention_spec() {
  static const CommandSpec s{
      "attention",
      "The attention lab: train tiny transformers with different attention variants on the same "
      "task and compare their maps, map metrics and accuracy; or analyse trained transformers.",
      {"attention MODEL.safetensors... --data NAME --out DIR [--examples N] [--show N] [--json]",
       "attention CHECKPOINT_DIR... --ids I,J,... --out DIR [--json]",
       "attention CHECKPOINT_DIR --text TEXT --out DIR [--json]",
       "attention --train --arch transformer:... --variants A,B,... --data NAME --out DIR "
       "[training options] [--json]"},
      join({{"train", "", "", "train one model per variant (else: analyse the given models)"},
            {"arch", "ARCH", "",
             "(required) with --train: the transformer (its attn= is replaced by each variant)"},
            {"variants", "LIST", "softmax,linear_elu",
             "--train: attention variants, comma-separated"},
            {"seed", "S", "0", "--train: seed of every model's initialisation and batch order"},
            {"epochs", "N", "10", "--train: training epochs"},
            {"batch", "N", "32", "--train: mini-batch size"},
            {"optimizer", "adam|sgd", "adam", "--train: optimiser"},
            {"lr", "X", "", "--train: learning rate", "1e-3 with adam, 0.05 with sgd"},
            {"weight-decay", "X", "0", "--train: weight decay"},
            {"schedule", "constant|step|cosine|triangular", "constant",
             "--train: learning-rate schedule"},
            {"distill", "W", "0",
             "--train with hedgehog variants only: weight of the attention-distillation loss "
             "added to the task loss (ridgeline train --distill)"},
            {"ids", "I,J,...", "",
             "analyse causal token models on these token ids (instead of --data): one input, "
             "the model shortened to its length; accuracy is next-token prediction",
             "none: --data is read"},
            {"text", "TEXT", "",
             "as --ids, the ids of TEXT by the checkpoint folder's own tokenizer (vocab.json and "
             "merges.txt: GPT-2's byte-level BPE); DIR/tokens.json keeps ids and tokens",
             "none"},
            {"examples", "N", "64", "test inputs whose maps are measured (the first N)"},
            {"show", "N", "4", "of those, inputs whose maps are kept (DIR/<name>-maps.npy)"},
            {"out", "DIR", "", "(required) folder for the models (--train), analyses and "
                               "comparison.json/.csv"}},
           {data_option_specs(), compute_option_specs(),
            {{"json", "", "", "print one JSON object (per model: accuracy, metrics) on stdout"},
             {"quiet", "", "", "no progress lines"}}}),
      {"ridgeline attention --train --arch transformer:tokens=32,seq=16,d=64,heads=2,layers=2,"
       "ff=128,attn=softmax,causal --variants softmax,linear_elu,performer --data "
       "task:mqar,vocab=32,length=16,pairs=4,train=4000,test=500 --epochs 10 --out mqar-lab",
       "ridgeline attention --train --arch transformer:image=28x28,patch=7,classes=10,d=64,"
       "heads=4,layers=2,ff=128,attn=softmax --variants softmax,linear_elu --data fashion-mnist "
       "--train-subset 10000 --epochs 5 --batch 128 --out vit-lab",
       "ridgeline attention mqar-lab/softmax.safetensors --data task:mqar,vocab=32,length=16,"
       "pairs=4 --out again",
       "ridgeline attention gpt2/ --ids 464,2068,7586,21831 --out gpt2-maps",
       "ridgeline attention gpt2/ --text \"The quick brown fox\" --out gpt2-maps"},
      {"Metrics are measured on the test split: row entropy, dot-product monotonicity, "
       "effective rank, locality, and for variants other than softmax the KL divergence from "
       "the softmax map of the same queries and keys (docs/USER_GUIDE.md, \"Attention-map "
       "metrics\").",
       "A folder holding config.json and model.safetensors is a GPT-2-family checkpoint "
       "(Hugging Face or nanoGPT layout; docs/USER_GUIDE.md, \"Real checkpoints\").",
       "Transformers run on the CPU backends (cpu, reference)."}};
  return s;
}

namespace {

struct LabEntry {
  std::string name;  ///< the variant, or the model file's stem
  std::string file;  ///< the model file
  AttentionAnalysis analysis;
  std::vector<EpochMetrics> epochs;  ///< --train only
};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string comparison_csv(const std::vector<LabEntry>& e) {
  std::ostringstream s;
  s.precision(9);
  s << "name,variant,accuracy,loss,entropy,monotonicity,effective_rank,locality_r1,kl_to_softmax,"
       "collision_rate\n";
  for (const LabEntry& x : e) {
    const AttentionAnalysis& a = x.analysis;
    auto v = [](double d) { return std::isfinite(d) ? std::to_string(d) : std::string(); };
    s << x.name << "," << a.variant << "," << v(a.accuracy) << "," << v(a.loss) << ","
      << v(a.overall.entropy) << "," << v(a.overall.monotonicity) << ","
      << v(a.overall.effective_rank) << ","
      << v(a.overall.locality.empty() ? NAN : a.overall.locality.front()) << ","
      << v(a.overall.kl) << "," << v(a.collision_rate) << "\n";
  }
  return s.str();
}

nlohmann::ordered_json entry_json(const LabEntry& x) {
  nlohmann::ordered_json j;
  j["name"] = x.name;
  j["model"] = x.file;
  j["analysis"] = nlohmann::ordered_json::parse(attention_analysis_json(x.analysis, -1));
  if (!x.epochs.empty()) {
    nlohmann::ordered_json ep = nlohmann::ordered_json::array();
    for (const EpochMetrics& e : x.epochs)
      ep.push_back({{"epoch", e.epoch},
                    {"train_loss", e.train_loss},
                    {"train_error", e.train_error},
                    {"test_loss", std::isfinite(e.test_loss) ? nlohmann::ordered_json(e.test_loss)
                                                             : nlohmann::ordered_json()},
                    {"test_error", std::isfinite(e.test_error) ? nlohmann::ordered_json(e.test_error)
                                                               : nlohmann::ordered_json()},
                    {"seconds", e.seconds}});
    if (std::isfinite(x.epochs.front().distill_loss))
      for (size_t i = 0; i < x.epochs.size(); ++i)
        ep[i]["distill_loss"] = x.epochs[i].distill_loss;
    j["epochs"] = std::move(ep);
  }
  return j;
}

// "--ids 1,2,3": token ids (empty when the option is absent).
std::vector<int32_t> parse_ids(const std::string& text) {
  std::vector<int32_t> ids;
  for (const std::string& item : split_list(text)) {
    size_t used = 0;
    long v = -1;
    try {
      v = std::stol(item, &used);
    } catch (...) {
      used = 0;
    }
    if (used != item.size() || v < 0 || v > (1 << 24))
      throw InputError("--ids: '" + echo_input(item, 20) + "' is not a token id");
    ids.push_back(static_cast<int32_t>(v));
  }
  if (!text.empty() && ids.empty()) throw InputError("--ids: no token id given");
  return ids;
}

// The model for exactly ids.size() tokens (a causal token model's first positions).
Model shortened(const Model& m, const std::string& file, const std::vector<int32_t>& ids) {
  const TransformerArch& t = *as_transformer_arch(*m.arch);
  if (t.is_image()) throw InputError("--ids: " + file + " reads images, not tokens");
  for (int32_t id : ids)
    if (id >= t.vocab)
      throw InputError("--ids: token " + std::to_string(id) + " is outside " + file +
                       "'s vocabulary of " + std::to_string(t.vocab));
  if (static_cast<int>(ids.size()) == t.seq) return m;
  if (!t.causal || static_cast<int>(ids.size()) > t.seq)
    throw InputError("--ids: " + std::to_string(ids.size()) + " tokens for " + file + ", which " +
                     (t.causal ? "has " + std::to_string(t.seq) + " positions"
                               : "is not causal and reads exactly " + std::to_string(t.seq)));
  return with_sequence_length(m, static_cast<int>(ids.size()));
}

// One input of the given ids; each position's label is the next id (the last has none).
Dataset token_input(const std::vector<int32_t>& ids, const ModelArch& arch) {
  Dataset d;
  d.name = "--ids";
  d.n = 1;
  d.dim = static_cast<int>(ids.size());
  d.classes = as_transformer_arch(arch)->vocab;
  d.label_width = d.dim;
  for (size_t i = 0; i < ids.size(); ++i) {
    d.x.push_back(static_cast<float>(ids[i]));
    d.y.push_back(i + 1 < ids.size() ? ids[i + 1] : kIgnoreLabel);
  }
  return d;
}

}  // namespace

int cmd_attention(int argc, char** argv) {
  Args a(argc, argv, 2, attention_spec());
  const bool train = a.flag("train");
  const std::string out = a.required("out");
  check_output_folder(out, "--out");
  const int examples = static_cast<int>(a.integer("examples", 1, 1 << 20));
  const int show = static_cast<int>(a.integer("show", 0, 1 << 10));
  const bool json_out = a.flag("json"), quiet = a.flag("quiet");
  const int threads = static_cast<int>(a.integer("threads", 0, 1024));
  std::vector<LabEntry> entries;
  std::vector<Model> models;
  std::shared_ptr<const ModelArch> base;
  TrainConfig cfg;
  uint64_t seed = 0;
  if (train) {
    if (!a.positionals().empty())
      throw InputError("--train trains its own models: unexpected argument '" +
                       echo_input(a.positionals().front(), 40) + "'");
    base = parse_model_arch(a.required("arch"), "--arch");
    if (!as_transformer_arch(*base))
      throw InputError("--arch: " + base->to_string() + " is not a transformer");
    const std::vector<std::string> variants = split_list(a.str("variants"));
    if (variants.empty()) throw InputError("--variants: no variant named");
    for (const std::string& v : variants) {
      TransformerArch t = *as_transformer_arch(*base);
      t.attention = v;
      // Parsing the text checks the variant (one line naming the known ones).
      parse_model_arch(t.to_string(), "--variants");
      entries.push_back({v, (std::filesystem::path(out) / (v + ".safetensors")).string(), {}, {}});
    }
    cfg.optimizer = parse_optimizer(a.str("optimizer"), "--optimizer");
    cfg.lr = a.number("lr", cfg.optimizer == OptimizerKind::Adam ? 1e-3 : 0.05);
    cfg.weight_decay = a.number("weight-decay");
    cfg.batch = static_cast<int>(a.integer("batch", 1, 1 << 20));
    cfg.epochs = static_cast<int>(a.integer("epochs", 1, 100000));
    cfg.schedule = parse_schedule(a.str("schedule"), "--schedule");
    cfg.distill = a.number("distill");
    cfg.validate("--");
    if (cfg.distill > 0)
      for (const std::string& v : variants) {
        TransformerArch t = *as_transformer_arch(*base);
        t.attention = v;
        const std::string why = distill_unsupported(*transformer_model_arch(t));
        if (!why.empty()) throw InputError("--distill: " + why);
      }
    seed = static_cast<uint64_t>(a.integer("seed", 0, (1ll << 62)));
  } else {
    if (a.has("distill")) throw InputError("--distill: applies with --train only");
    if (a.positionals().empty())
      throw InputError("name the models to analyse (MODEL.safetensors...), or use --train");
    for (const std::string& f : a.positionals()) {
      Model m = load_model(f);
      if (!as_transformer_arch(*m.arch))
        throw InputError(f + ": " + m.arch->to_string() +
                         " is not a transformer (attention maps need a transformer model)");
      entries.push_back({std::filesystem::path(f).stem().string(), f, {}, {}});
      models.push_back(std::move(m));
    }
  }
  const DataOptions data_opts = data_options(a);
  auto backend = make_backend(a.str("device"), threads);
  std::vector<int32_t> ids = parse_ids(a.str("ids"));
  nlohmann::ordered_json token_record;  // --text: the ids and their text
  if (a.has("text")) {
    if (!ids.empty()) throw InputError("--text and --ids: give one of them");
    if (train || a.positionals().empty())
      throw InputError("--text: name a checkpoint folder holding vocab.json and merges.txt");
    const std::filesystem::path dir(a.positionals().front());
    const auto vocab = dir / "vocab.json", merges = dir / "merges.txt";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(vocab, ec) || !std::filesystem::is_regular_file(merges, ec))
      throw InputError("--text: " + dir.string() +
                       " holds no vocab.json and merges.txt (GPT-2's tokenizer files); give --ids");
    const text::BpeTokenizer tok = text::load_bpe(vocab.string(), merges.string());
    ids = tok.encode(a.str("text"));
    if (ids.empty()) throw InputError("--text: the text has no tokens");
    token_record["ids"] = ids;
    token_record["tokens"] = nlohmann::ordered_json::array();
    for (int32_t id : ids) token_record["tokens"].push_back(tok.decode({id}));
  }
  if (!ids.empty() && train) throw InputError("--ids: analyses given models; not with --train");
  if (!ids.empty()) {
    for (size_t i = 0; i < models.size(); ++i) models[i] = shortened(models[i], entries[i].file, ids);
    if (a.has("data")) throw InputError("--ids and --data: give one of them");
  }
  const DataSplits data =
      ids.empty() ? load_data(a.str("data"), data_opts)
                  : DataSplits{token_input(ids, *models.front().arch), token_input(ids, *models.front().arch)};
  if (train) {
    base->check_fits(data.train, "--arch");
  } else {
    for (size_t i = 0; i < models.size(); ++i) models[i].arch->check_fits(data.test, entries[i].file);
  }
  std::filesystem::create_directories(out);
  ProgressPrinter progress;
  for (size_t i = 0; i < entries.size(); ++i) {
    LabEntry& e = entries[i];
    if (train) {
      TransformerArch t = *as_transformer_arch(*base);
      t.attention = e.name;
      const auto arch = transformer_model_arch(t);
      ModelTrainCallbacks cb;
      cb.on_step = [&](const StepMetrics& s) {
        if (!quiet && (s.step % 10 == 0 || s.step == s.total_steps))
          progress({"train " + e.name, s.step, s.total_steps,
                    "epoch " + std::to_string(s.epoch) + " loss " + format_loss(s.loss)});
      };
      cb.on_epoch = [&](const EpochMetrics& m, const Model&) {
        if (!quiet)
          progress.line(e.name + " epoch " + std::to_string(m.epoch) + "/" +
                        std::to_string(cfg.epochs) + ": train loss " + format_loss(m.train_loss) +
                        (cfg.distill > 0 ? ", distillation loss " + format_loss(m.distill_loss)
                                         : std::string()) +
                        "; test loss " + format_loss(m.test_loss) + ", error " +
                        format_error(m.test_error));
      };
      ModelTrainResult r = train_model(*backend, arch, data, cfg, seed, cb, &interrupt_token());
      std::map<std::string, std::string> meta{{"ridgeline.seed", std::to_string(seed)},
                                              {"ridgeline.epochs", std::to_string(cfg.epochs)}};
      if (cfg.distill > 0) meta["ridgeline.distill"] = nlohmann::json(cfg.distill).dump();
      save_model(e.file, r.model, meta);
      e.epochs = std::move(r.epochs);
      models.push_back(std::move(r.model));
    }
    AttentionAnalysisOptions o;
    o.examples = examples;
    o.show = show;
    e.analysis = analyse_attention(
        models[i], data.test, o,
        [&](const Progress& p) {
          if (!quiet) progress({"analyse " + e.name, p.done, p.total, p.message});
        },
        &interrupt_token());
    write_attention_analysis(e.analysis, out, e.name);
  }
  progress.finish();
  nlohmann::ordered_json all;
  all["data"] = ids.empty() ? a.str("data") : token_record.is_null() ? "--ids" : "--text";
  if (!token_record.is_null()) {
    write_file_atomic((std::filesystem::path(out) / "tokens.json").string(), token_record.dump(1) + "\n");
    all["tokens"] = token_record;
  }
  all["models"] = nlohmann::ordered_json::array();
  for (const LabEntry& e : entries) all["models"].push_back(entry_json(e));
  write_file_atomic((std::filesystem::path(out) / "comparison.json").string(), all.dump(1) + "\n");
  write_file_atomic((std::filesystem::path(out) / "comparison.csv").string(), comparison_csv(entries));
  if (json_out) {
    ProvenanceFacts pf;
    pf.out = out;
    if (ids.empty()) pf.data = {{a.str("data"), data_opts}};
    pf.backend = backend.get();
    nlohmann::json j = nlohmann::json::parse(all.dump());
    j["provenance"] = provenance_json(a, pf);
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("%-14s %9s %9s %9s %9s %9s %9s %9s\n", "model", "accuracy", "entropy", "monoton.",
              "eff.rank", "local r1", "KL(soft)", "collide");
  for (const LabEntry& e : entries) {
    const MapMetrics& m = e.analysis.overall;
    auto f = [](double v) {
      char b[32];
      std::snprintf(b, sizeof b, std::isfinite(v) ? "%.4g" : "—", v);
      return std::string(b);
    };
    std::printf("%-14s %9s %9s %9s %9s %9s %9s %9s\n", e.name.c_str(),
                format_error(e.analysis.accuracy).c_str(), f(m.entropy).c_str(),
                f(m.monotonicity).c_str(), f(m.effective_rank).c_str(),
                f(m.locality.empty() ? NAN : m.locality.front()).c_str(), f(m.kl).c_str(),
                f(e.analysis.collision_rate).c_str());
  }
  std::printf("written: %s/comparison.json, comparison.csv and per model <name>.json, "
              "<name>-maps.npy\n",
              out.c_str());
  return 0;
}

}  // namespace ridgeline::cli
