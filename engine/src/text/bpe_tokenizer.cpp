// GPT-2's byte-level BPE: vocab.json and merges.txt, encode and decode (bpe_tokenizer.h).
#include "ridgeline/text/bpe_tokenizer.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/text/byte_alphabet.h"
#include "ridgeline/text/pretokenize.h"
#include "ridgeline/text/utf8.h"

namespace ridgeline::text {

namespace {

using nlohmann::json;

// GPT-2's vocab.json is about 1 MiB and its merges.txt 0.5 MiB; anything this large is not one.
constexpr std::size_t kMaxFileBytes = std::size_t{64} << 20;
// A vocabulary is one level deep; the limit (that of experiment specs, spec.cpp) only keeps a
// nesting bomb from being built at all.
constexpr int kMaxJsonDepth = 64;

struct TooDeep {};
struct RepeatedKey {
  std::string key;
};

void check_size(const std::string& text, const std::string& name) {
  if (text.size() > kMaxFileBytes)
    throw InputError(name + ": is " + std::to_string(text.size()) +
                     " bytes, over the 64 MiB limit for a BPE file");
}

// The key of the pair (a, b) in BpeTokenizer::merges_.
uint64_t pair_key(int32_t a, int32_t b) {
  return (uint64_t{static_cast<uint32_t>(a)} << 32) | static_cast<uint32_t>(b);
}

std::string in_quotes(std::string_view token) { return "'" + echo_input(token) + "'"; }

std::string json_kind(const json& v) {
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  if (v.is_boolean()) return "a boolean";
  if (v.is_null()) return "null";
  return "a number";
}

json parse_vocab_json(const std::string& text, const std::string& name) {
  check_size(text, name);
  std::unordered_set<std::string> keys;
  try {
    return json::parse(text, [&](int depth, json::parse_event_t event, json& parsed) {
      if (depth > kMaxJsonDepth) throw TooDeep{};
      // nlohmann keeps the last of repeated keys silently; a token listed twice is refused.
      if (event == json::parse_event_t::key && depth == 1 &&
          !keys.insert(parsed.get<std::string>()).second)
        throw RepeatedKey{parsed.get<std::string>()};
      return true;
    });
  } catch (const TooDeep&) {
    throw InputError(name + ": invalid JSON: nested deeper than " + std::to_string(kMaxJsonDepth) +
                     " levels");
  } catch (const RepeatedKey& r) {
    throw InputError(name + ": the token " + in_quotes(r.key) + " is listed twice");
  } catch (const json::exception& e) {
    const std::string what = e.what();  // "[json.exception.parse_error.101] parse error at …"
    const std::size_t cut = what.find("] ");
    throw InputError(name + ": invalid JSON: " +
                     echo_input(cut == std::string::npos ? what : what.substr(cut + 2), 200));
  }
}

}  // namespace

BpeTokenizer BpeTokenizer::from_text(const std::string& vocab_json, const std::string& merges,
                                     const std::string& vocab_name,
                                     const std::string& merges_name) {
  BpeTokenizer t;
  t.vocab_name_ = vocab_name;
  t.byte_id_.fill(-1);

  // vocab.json
  const json doc = parse_vocab_json(vocab_json, vocab_name);
  if (!doc.is_object())
    throw InputError(vocab_name + ": is " + json_kind(doc) + ", not a JSON object of token → id");
  if (doc.empty()) throw InputError(vocab_name + ": holds no tokens");
  t.id_of_.reserve(doc.size());
  t.token_of_.reserve(doc.size());
  for (const auto& [token, value] : doc.items()) {
    const std::string where = vocab_name + ": the token " + in_quotes(token);
    if (token.empty()) throw InputError(vocab_name + ": the empty string is not a token");
    if (value.is_number_float())
      throw InputError(where + " has the id " + echo_input(value.dump()) + ", not an integer");
    if (!value.is_number_integer())
      throw InputError(where + " has " + json_kind(value) + " for its id, not an integer");
    if (!value.is_number_unsigned() && value.get<int64_t>() < 0)
      throw InputError(where + " has the negative id " + value.dump());
    if (value.get<uint64_t>() > static_cast<uint64_t>(INT32_MAX))
      throw InputError(where + " has the id " + value.dump() + ", over 2^31 - 1");
    const auto id = static_cast<int32_t>(value.get<uint64_t>());
    if (const auto it = t.token_of_.find(id); it != t.token_of_.end())
      throw InputError(vocab_name + ": the tokens " + in_quotes(it->second) + " and " +
                       in_quotes(token) + " both have the id " + std::to_string(id));
    t.token_of_.emplace(id, token);
    t.id_of_.emplace(token, id);
    t.id_bound_ = std::max<int64_t>(t.id_bound_, int64_t{id} + 1);
  }
  const auto& alphabet = byte_to_unicode();
  for (int b = 0; b < 256; ++b) {
    std::string c;
    append_utf8(c, alphabet[b]);
    if (const auto it = t.id_of_.find(c); it != t.id_of_.end()) t.byte_id_[b] = it->second;
  }

  // merges.txt
  check_size(merges, merges_name);
  std::unordered_map<uint64_t, std::size_t> line_of;  // for "repeats line N"
  std::size_t line_no = 0, blank_line = 0;
  for (std::size_t start = 0; start < merges.size();) {
    std::size_t end = merges.find('\n', start);
    if (end == std::string::npos) end = merges.size();
    std::string_view line(merges.data() + start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string at = merges_name + ": line " + std::to_string(line_no) + ": ";
    if (line_no == 1 && line.substr(0, 8) == "#version") continue;
    if (line.empty()) {
      if (blank_line == 0) blank_line = line_no;
      continue;
    }
    if (blank_line != 0)
      throw InputError(merges_name + ": line " + std::to_string(blank_line) +
                       ": blank line before more merges (only the end of the file may be blank)");
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos)
      throw InputError(at + in_quotes(line) + " is not two tokens separated by one space");
    const std::string left(line.substr(0, space)), right(line.substr(space + 1));
    const auto l = t.id_of_.find(left), r = t.id_of_.find(right);
    const auto merged = t.id_of_.find(left + right);
    for (const auto& [it, token] : {std::pair{l, &left}, std::pair{r, &right}})
      if (it == t.id_of_.end())
        throw InputError(at + "the token " + in_quotes(*token) + " is not in " + vocab_name);
    if (merged == t.id_of_.end())
      throw InputError(at + "the merged token " + in_quotes(left + right) + " is not in " +
                       vocab_name);
    const uint64_t key = pair_key(l->second, r->second);
    if (const auto seen = line_of.find(key); seen != line_of.end())
      throw InputError(at + "the merge " + in_quotes(line) + " repeats line " +
                       std::to_string(seen->second));
    line_of.emplace(key, line_no);
    t.merges_.emplace(key, Merge{static_cast<int32_t>(t.merges_.size()), merged->second});
  }
  return t;
}

BpeTokenizer load_bpe(const std::string& vocab_json_path, const std::string& merges_txt_path) {
  const auto read = [](const std::string& path, const char* role) {
    if (path.empty())
      throw InputError(std::string("(empty path): cannot read (no path given for ") + role + ")");
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > kMaxFileBytes)
      throw InputError(path + ": is " + std::to_string(size) +
                       " bytes, over the 64 MiB limit for a BPE file");
    return read_file(path);
  };
  const std::string vocab = read(vocab_json_path, "vocab.json");
  const std::string merges = read(merges_txt_path, "merges.txt");
  return BpeTokenizer::from_text(vocab, merges, vocab_json_path, merges_txt_path);
}

std::optional<int32_t> BpeTokenizer::id_of(const std::string& token) const {
  const auto it = id_of_.find(token);
  if (it == id_of_.end()) return std::nullopt;
  return it->second;
}

bool BpeTokenizer::covers_all_bytes() const {
  for (const int32_t id : byte_id_)
    if (id < 0) return false;
  return true;
}

const std::string& BpeTokenizer::token(int32_t id) const {
  const auto it = token_of_.find(id);
  if (it == token_of_.end())
    throw InputError(vocab_name_ + ": no token has the id " + std::to_string(id));
  return it->second;
}

void BpeTokenizer::encode_piece(std::string_view piece, std::vector<int32_t>& out) const {
  std::vector<int32_t> word;
  word.reserve(piece.size());
  for (const char ch : piece) {
    const auto b = static_cast<unsigned char>(ch);
    if (byte_id_[b] < 0) {
      std::string c;
      append_utf8(c, byte_to_unicode()[b]);
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", b);
      throw InputError(vocab_name_ + ": has no token " + in_quotes(c) + " for the byte " + hex +
                       " of the text piece " + in_quotes(piece));
    }
    word.push_back(byte_id_[b]);
  }
  // The released encoder's bpe(): merge the lowest-ranked adjacent pair, all its occurrences
  // left to right, until no adjacent pair is a merge. (Symbols are ids: every merge's parts and
  // result are tokens, and a symbol that is no token cannot take part in any merge.)
  const auto merge_of = [&](int32_t a, int32_t b) -> const Merge* {
    const auto it = merges_.find(pair_key(a, b));
    return it == merges_.end() ? nullptr : &it->second;
  };
  std::vector<int32_t> next;
  while (word.size() > 1) {
    const Merge* best = nullptr;
    int32_t left = 0, right = 0;
    for (std::size_t i = 0; i + 1 < word.size(); ++i)
      if (const Merge* m = merge_of(word[i], word[i + 1]); m && (!best || m->rank < best->rank)) {
        best = m;
        left = word[i];
        right = word[i + 1];
      }
    if (!best) break;
    next.clear();
    for (std::size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == left && word[i + 1] == right) {
        next.push_back(best->result);
        i += 2;
      } else {
        next.push_back(word[i]);
        i += 1;
      }
    }
    word.swap(next);
  }
  out.insert(out.end(), word.begin(), word.end());
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view utf8) const {
  std::vector<int32_t> ids;
  for (const std::string_view piece : gpt2_pretokenize(utf8)) encode_piece(piece, ids);
  return ids;
}

std::string BpeTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (const int32_t id : ids) {
    const std::string& tok = token(id);
    for (std::size_t at = 0; at < tok.size();) {
      const Utf8Char c = utf8_at(tok, at);
      const int b = c.valid ? unicode_to_byte(c.code_point) : -1;
      if (b < 0) {
        char cp[16];
        std::snprintf(cp, sizeof cp, "U+%04X", static_cast<unsigned>(c.code_point));
        throw InputError(vocab_name_ + ": the token " + in_quotes(tok) + " (id " +
                         std::to_string(id) + ") has the character " + cp +
                         ", which is not in GPT-2's byte alphabet: it stands for no bytes");
      }
      out += static_cast<char>(b);
      at += c.length;
    }
  }
  return out;
}

std::vector<std::string> BpeTokenizer::tokens(const std::vector<int32_t>& ids) const {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (const int32_t id : ids) out.push_back(token(id));
  return out;
}

}  // namespace ridgeline::text
