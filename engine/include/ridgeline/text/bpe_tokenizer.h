#pragma once
/// @file bpe_tokenizer.h
/// GPT-2's byte-level BPE tokenizer (Radford et al. 2019, "Language Models are Unsupervised
/// Multitask Learners", §2.2; BPE as Sennrich et al. 2016, "Neural Machine Translation of Rare
/// Words with Subword Units"), read from the released files:
///  - vocab.json: one JSON object, token → id. Tokens are non-empty strings, written in the
///    byte alphabet (byte_alphabet.h); ids are non-negative integers below 2^31, one per token
///    (they need not be contiguous). Refused: anything else (floats such as 1.0, negative ids, an
///    id given twice, a token given twice, non-objects, files over 64 MiB, JSON nested deeper than
///    64 levels).
///  - merges.txt: an optional first line starting with "#version", then one merge per line,
///    "a b": two non-empty tokens separated by one space, in rank order (line order); a
///    trailing "\r" is dropped and blank lines may end the file. Both parts and their
///    concatenation must be tokens of the vocabulary, and no pair may be listed twice.
/// Every refusal is an InputError whose one-line message starts with the file's path (or the
/// name given to from_text) and says what is wrong, with the line number for merges.
///
/// Encoding is the released encoder's: pre-tokenise (pretokenize.h), write each piece's bytes
/// in the byte alphabet, then repeatedly merge the adjacent pair of lowest rank — every
/// occurrence of it, left to right — until no adjacent pair is a merge, and look the symbols
/// up. The pre-tokenisation's Unicode classes are approximated outside the blocks char_class.h
/// lists; there ids can differ from GPT-2's, never the round trip.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ridgeline::text {

class BpeTokenizer {
 public:
  /// Parses and checks vocab.json and merges.txt given as text; `vocab_name` and `merges_name`
  /// (paths, normally) start every error message.
  static BpeTokenizer from_text(const std::string& vocab_json, const std::string& merges,
                                const std::string& vocab_name, const std::string& merges_name);

  /// The ids of `utf8` (any bytes: invalid UTF-8 is encoded byte by byte). InputError naming
  /// the vocabulary and the text piece when a byte's character is not a token (a vocabulary
  /// holding all 256 byte characters encodes anything).
  std::vector<int32_t> encode(std::string_view utf8) const;
  /// The bytes of `ids`: each token's characters mapped back through the byte alphabet.
  /// InputError for an id no token has, or a token with a character outside the alphabet
  /// (e.g. a special token such as "<|endoftext|>" is fine, "€" is not).
  std::string decode(const std::vector<int32_t>& ids) const;
  /// The token strings of `ids` (in the byte alphabet: ' ' shows as 'Ġ'), for display.
  /// InputError for an id no token has.
  std::vector<std::string> tokens(const std::vector<int32_t>& ids) const;

  /// The number of tokens.
  std::size_t vocab_size() const { return token_of_.size(); }
  /// One more than the largest id (the rows an embedding table needs).
  int64_t id_bound() const { return id_bound_; }
  /// The number of merges.
  std::size_t merge_count() const { return merges_.size(); }
  /// The id of a token (a string in the byte alphabet), if it is one.
  std::optional<int32_t> id_of(const std::string& token) const;
  /// Whether each of the 256 byte characters is a token: then encode never throws and
  /// decode(encode(s)) == s for every byte string s.
  bool covers_all_bytes() const;

 private:
  BpeTokenizer() = default;  // only from_text (and load_bpe) make one

  struct Merge {
    int32_t rank, result;
  };
  std::string vocab_name_;
  std::unordered_map<std::string, int32_t> id_of_;
  std::unordered_map<int32_t, std::string> token_of_;
  int64_t id_bound_ = 0;
  std::array<int32_t, 256> byte_id_{};          // -1 where the byte's character is not a token
  std::unordered_map<uint64_t, Merge> merges_;  // keyed by (left id << 32) | right id

  const std::string& token(int32_t id) const;
  void encode_piece(std::string_view piece, std::vector<int32_t>& out) const;
};

/// Reads vocab.json and merges.txt (BpeTokenizer::from_text on their contents; InputError
/// "<path>: cannot read (…)" for a missing file, and for one over 64 MiB before reading it).
BpeTokenizer load_bpe(const std::string& vocab_json_path, const std::string& merges_txt_path);

}  // namespace ridgeline::text
