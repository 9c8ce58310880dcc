// libFuzzer harness: GPT-2's byte-level BPE tokenizer (text/bpe_tokenizer.h) on a vocab.json and
// merges.txt as anyone may hand it: the input up to its first NUL byte is vocab.json, the rest
// merges.txt (no NUL: all of it is vocab.json and there are no merges). BpeTokenizer::from_text
// either refuses them with a one-line InputError that starts with the file's name, or gives a
// tokenizer; that tokenizer encodes a fixed sample text and pieces of the input itself, and
// decodes ids taken from the input. A finding: a crash, a sanitizer report, another exception,
// an InputError that is empty, multi-line or does not name its file; pre-tokenisation pieces
// that are empty or do not join back to the text; ids outside 0..id_bound; token strings that
// do not spell the text in the byte alphabet; or, when every byte character is a token, an
// encode that throws or a decode(encode(s)) that is not s.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "ridgeline/core/errors.h"
#include "ridgeline/text/bpe_tokenizer.h"
#include "ridgeline/text/byte_alphabet.h"
#include "ridgeline/text/pretokenize.h"

using namespace ridgeline;
using namespace ridgeline::text;

namespace {

const std::string kVocab = "fuzz/vocab.json", kMerges = "fuzz/merges.txt";

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::abort();
}

void check_message(const InputError& e, const std::string& name) {
  const std::string m = e.what();
  if (m.find('\n') != std::string::npos || m.find('\r') != std::string::npos)
    finding("InputError message is not one line: " + m);
  if (m.rfind(name + ":", 0) != 0)
    finding("InputError message does not start with " + name + ": " + m);
}

void check_pieces(const std::string& text) {
  std::string joined;
  for (const auto piece : gpt2_pretokenize(text)) {
    if (piece.empty()) finding("an empty pre-tokenisation piece");
    joined += piece;
  }
  if (joined != text) finding("the pre-tokenisation pieces do not join back to the text");
}

// Encodes `text`; with every byte character a token it must succeed and round-trip.
void check_encode(const BpeTokenizer& t, const std::string& text) {
  std::vector<int32_t> ids;
  try {
    ids = t.encode(text);
  } catch (const InputError& e) {
    if (t.covers_all_bytes())
      finding(std::string("encode threw with all byte tokens: ") + e.what());
    check_message(e, kVocab);
    return;
  }
  std::string spelled;
  for (const int32_t id : ids)
    if (id < 0 || id >= t.id_bound()) finding("encode gave an id outside 0..id_bound");
  for (const auto& token : t.tokens(ids)) spelled += token;
  if (spelled != to_byte_alphabet(text))
    finding("the tokens of encode(s) do not spell s in the byte alphabet");
  if (t.decode(ids) != text) finding("decode(encode(s)) is not s");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string vocab = input.substr(0, nul);
  const std::string merges = nul == std::string::npos ? std::string() : input.substr(nul + 1);
  check_pieces(input);
  std::optional<BpeTokenizer> accepted;
  try {
    accepted = BpeTokenizer::from_text(vocab, merges, kVocab, kMerges);
  } catch (const InputError& e) {
    const std::string m = e.what();
    check_message(e, m.rfind(kMerges, 0) == 0 ? kMerges : kVocab);
    return 0;
  }
  const BpeTokenizer& t = *accepted;
  if (t.vocab_size() == 0 || t.id_bound() < static_cast<int64_t>(t.vocab_size()))
    finding("an accepted vocabulary with no tokens or an id bound below its size");
  // Encoding is quadratic in a piece's length (as the released encoder's): keep texts short.
  check_encode(t, "Hello, world! It's 2024.\n\n\tcafé  日本語 \xF0\x9F\x98\x80 \xFF\xC3(\x80");
  check_encode(t, vocab.substr(0, 256));
  check_encode(t, merges.substr(0, 256));
  // Decoding ids read from the input: a token's bytes, or an InputError naming the vocabulary.
  std::vector<int32_t> ids;
  for (size_t i = 0; i + 1 < input.size() && ids.size() < 64; i += 2)
    ids.push_back(static_cast<int32_t>(
                      (static_cast<uint8_t>(input[i]) << 8 | static_cast<uint8_t>(input[i + 1])) %
                      (t.id_bound() + 1)) -
                  1);
  try {
    t.decode(ids);
  } catch (const InputError& e) {
    check_message(e, kVocab);
  }
  return 0;
}
