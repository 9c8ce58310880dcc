// GPT-2's byte-level BPE tokenizer (text/bpe_tokenizer.h): the byte alphabet, the
// pre-tokenisation pattern (expected pieces as the released encoder's regex gives them), a
// hand-made vocabulary whose merges are worked by hand below (including one where the rank
// order, not the position, decides), the byte-exact round trip, and every refusal of a
// malformed vocab.json or merges.txt naming the file and the problem.
#include <QtTest>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "ridgeline/core/errors.h"
#include "ridgeline/text/bpe_tokenizer.h"
#include "ridgeline/text/byte_alphabet.h"
#include "ridgeline/text/char_class.h"
#include "ridgeline/text/pretokenize.h"
#include "ridgeline/text/utf8.h"
#include "test_support.h"

using namespace ridgeline;
using namespace ridgeline::text;

namespace {

// The 256 byte characters in GPT-2's id order: the printable bytes in byte order (so '!' is 0
// and an ASCII character c is c − 33), then the other 68 in byte order ('Ċ', byte 10, is 198;
// 'Ġ', byte 32, is 220), as in the released vocab.json.
std::vector<std::string> gpt2_byte_tokens() {
  std::vector<std::string> printable, others;
  for (int b = 0; b < 256; ++b) {
    std::string c;
    append_utf8(c, byte_to_unicode()[b]);
    (byte_to_unicode()[b] == static_cast<char32_t>(b) ? printable : others).push_back(c);
  }
  printable.insert(printable.end(), others.begin(), others.end());
  return printable;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// vocab.json text: tokens[i] has id i.
std::string vocab_json(const std::vector<std::string>& tokens) {
  std::string out = "{";
  for (size_t i = 0; i < tokens.size(); ++i)
    out += (i ? ", " : "") + json_string(tokens[i]) + ": " + std::to_string(i);
  return out + "}";
}

// The hand-made vocabulary: the 256 byte characters (ids 0–255, GPT-2's order), then one token
// per merge with the id 256 + rank, as GPT-2's files are laid out.
const char* const kMerges =
    "#version: 0.2\n"
    "l l\n"       // rank 0 → "ll"     256
    "ll o\n"      // rank 1 → "llo"    257
    "h e\n"       // rank 2 → "he"     258
    "he llo\n"    // rank 3 → "hello"  259
    "Ġ w\n"       // rank 4 → "Ġw"     260
    "o w\n"       // rank 5 → "ow"     261
    "Ġw o\n"      // rank 6 → "Ġwo"    262
    "r l\n"       // rank 7 → "rl"     263
    "Ġwo rl\n"    // rank 8 → "Ġworl"  264
    "Ġworl d\n";  // rank 9 → "Ġworld" 265

std::vector<std::string> hand_tokens() {
  std::vector<std::string> t = gpt2_byte_tokens();
  for (const char* m : {"ll", "llo", "he", "hello", "Ġw", "ow", "Ġwo", "rl", "Ġworl", "Ġworld"})
    t.push_back(m);
  return t;
}

BpeTokenizer hand_tokenizer() {
  return BpeTokenizer::from_text(vocab_json(hand_tokens()), kMerges, "vocab.json", "merges.txt");
}

// A byte's id in the hand vocabulary (GPT-2's): printable ASCII c is c − 33.
int32_t ascii(char c) { return c - 33; }
constexpr int32_t kSpace = 220, kNewline = 198;

std::vector<std::string> pieces(std::string_view text) {
  std::vector<std::string> out;
  for (const auto p : gpt2_pretokenize(text)) out.emplace_back(p);
  return out;
}

// `f` throws InputError whose one-line message starts with `name` and contains `part`.
void expect_input_error(const std::function<void()>& f, const std::string& name,
                        const std::string& part) {
  try {
    f();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    QVERIFY2(msg.rfind(name + ":", 0) == 0, ("does not start with " + name + ": " + msg).c_str());
    QVERIFY2(msg.find(part) != std::string::npos, ("lacks '" + part + "': " + msg).c_str());
    QVERIFY2(msg.find('\n') == std::string::npos, msg.c_str());
    return;
  }
  QFAIL(("no InputError (expected '" + part + "')").c_str());
}

// from_text with a vocabulary and merges that should be refused.
void expect_refused(const std::string& vocab, const std::string& merges, const std::string& name,
                    const std::string& part) {
  expect_input_error([&] { BpeTokenizer::from_text(vocab, merges, "v.json", "m.txt"); }, name,
                     part);
}

}  // namespace

class TestBpeTokenizer : public QObject {
  Q_OBJECT

 private slots:
  void byteAlphabet() {
    const auto& table = byte_to_unicode();
    QCOMPARE(std::set<char32_t>(table.begin(), table.end()).size(), size_t{256});
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
      if (printable)
        QCOMPARE(table[b], static_cast<char32_t>(b));
      else
        QVERIFY2(table[b] >= 256 && table[b] < 256 + 68, std::to_string(b).c_str());
      QCOMPARE(unicode_to_byte(table[b]), b);
    }
    // The 68 others take U+0100… in byte order: 0–32, then 127–160, then 173.
    QCOMPARE(table[0], char32_t{0x100});   // 'Ā'
    QCOMPARE(table[10], char32_t{0x10A});  // 'Ċ'
    QCOMPARE(table[32], char32_t{0x120});  // 'Ġ'
    QCOMPARE(table[127], char32_t{0x121});
    QCOMPARE(table[160], char32_t{0x142});
    QCOMPARE(table[173], char32_t{0x143});
    QCOMPARE(unicode_to_byte(0x20), -1);  // a space is no byte's character
    QCOMPARE(unicode_to_byte(0xAD), -1);
    QCOMPARE(unicode_to_byte(0x144), -1);
    QCOMPARE(unicode_to_byte(0x20AC), -1);
    QCOMPARE(to_byte_alphabet(" hi\n"), std::string("Ġhi\xC4\x8A"));  // "ĠhiĊ"
  }

  void utf8() {
    const auto at = [](std::string_view s) { return utf8_at(s, 0); };
    QCOMPARE(at("é").code_point, char32_t{0xE9});
    QCOMPARE(at("é").length, size_t{2});
    QCOMPARE(at("😀").code_point, char32_t{0x1F600});
    QCOMPARE(at("😀").length, size_t{4});
    // Invalid: stray continuation, overlong '/', encoded surrogate, truncated, above U+10FFFF.
    for (const std::string_view bad :
         {"\x80", "\xC0\xAF", "\xED\xA0\x80", "\xE2\x82", "\xF4\x90\x80\x80", "\xFF"}) {
      QVERIFY2(!at(bad).valid, std::string(bad).c_str());
      QCOMPARE(at(bad).length, size_t{1});
    }
    std::string s;
    for (const char32_t c : {char32_t{0x41}, char32_t{0xE9}, char32_t{0x20AC}, char32_t{0x1F600}})
      append_utf8(s, c);
    QCOMPARE(s, std::string("Aé€😀"));
  }

  void charClasses() {
    QCOMPARE(char_class('a'), CharClass::Letter);
    QCOMPARE(char_class('7'), CharClass::Number);
    QCOMPARE(char_class('\v'), CharClass::Space);
    QCOMPARE(char_class(0x1C), CharClass::Other);  // not \s in GPT-2's regex (no White_Space)
    QCOMPARE(char_class('_'), CharClass::Other);
    QCOMPARE(char_class(0xE9), CharClass::Letter);    // é
    QCOMPARE(char_class(0xAA), CharClass::Letter);    // ª
    QCOMPARE(char_class(0xD7), CharClass::Other);     // ×
    QCOMPARE(char_class(0xF7), CharClass::Other);     // ÷
    QCOMPARE(char_class(0xB2), CharClass::Number);    // ²
    QCOMPARE(char_class(0xBD), CharClass::Number);    // ½
    QCOMPARE(char_class(0xA0), CharClass::Space);     // no-break space
    QCOMPARE(char_class(0x3000), CharClass::Space);   // ideographic space
    QCOMPARE(char_class(0x301), CharClass::Other);    // combining acute: a mark, not a letter
    QCOMPARE(char_class(0x3A9), CharClass::Letter);   // Ω
    QCOMPARE(char_class(0x37E), CharClass::Other);    // Greek question mark
    QCOMPARE(char_class(0x416), CharClass::Letter);   // Ж
    QCOMPARE(char_class(0x4E2D), CharClass::Letter);  // 中
    QCOMPARE(char_class(0xAC00), CharClass::Letter);  // 가
    QCOMPARE(char_class(0x663), CharClass::Number);   // Arabic-Indic three
    QCOMPARE(char_class(0x20AC), CharClass::Other);   // €
    // The documented approximation: Bengali KA is a letter to Unicode, "other" here.
    QCOMPARE(char_class(0x995), CharClass::Other);
  }

  void pretokenisation() {
    using P = std::vector<std::string>;
    // Expected pieces as the released encoder's pattern gives them (Python regex module).
    QCOMPARE(pieces("I'm can't we'll they're you've he'd it's"),
             P({"I", "'m", " can", "'t", " we", "'ll", " they", "'re", " you", "'ve", " he", "'d",
                " it", "'s"}));
    QCOMPARE(pieces("'sup DON'T"), P({"'s", "up", " DON", "'", "T"}));  // lower case only
    QCOMPARE(pieces("x ''s"), P({"x", " ''", "s"}));  // a run of others takes both quotes
    QCOMPARE(pieces(" hello world"), P({" hello", " world"}));
    QCOMPARE(pieces("  two spaces"), P({" ", " two", " spaces"}));
    QCOMPARE(pieces("hello   "), P({"hello", "   "}));
    QCOMPARE(pieces("123 4567 x9 3.14"), P({"123", " 4567", " x", "9", " 3", ".", "14"}));
    QCOMPARE(pieces("Hello, world!!"), P({"Hello", ",", " world", "!!"}));
    QCOMPARE(pieces("a,  b"), P({"a", ",", " ", " b"}));
    QCOMPARE(pieces("a\n\nb"), P({"a", "\n", "\n", "b"}));
    QCOMPARE(pieces("a\n b"), P({"a", "\n", " b"}));
    QCOMPARE(pieces("x\t\ty"), P({"x", "\t", "\t", "y"}));
    QCOMPARE(pieces("café au lait"), P({"café", " au", " lait"}));
    QCOMPARE(pieces("naïve×2"), P({"naïve", "×", "2"}));
    QCOMPARE(pieces("cafe\xCC\x81"), P({"cafe", "\xCC\x81"}));  // e + combining acute
    QCOMPARE(pieces("a\xC2\xA0"
                    "b"),
             P({"a", "\xC2\xA0", "b"}));  // no-break space
    QCOMPARE(pieces("日本語 テキスト"), P({"日本語", " テキスト"}));
    // Invalid UTF-8: each stray byte is one "other" character.
    QCOMPARE(pieces("ab\xFF"
                    "cd"),
             P({"ab", "\xFF", "cd"}));
    QCOMPARE(pieces(" \xFF\xFE"), P({" \xFF\xFE"}));
    QCOMPARE(pieces("caf\xC3"), P({"caf", "\xC3"}));  // truncated é
    QCOMPARE(pieces(""), P{});
    // The pieces always cover the text.
    std::mt19937 g(3);
    for (int n = 0; n < 300; ++n) {
      std::string s(g() % 40, '\0');
      for (char& c : s) c = static_cast<char>(" \n'sa1.\xC3\xA9\xFF"[g() % 10]);
      std::string joined;
      for (const auto& p : pieces(s)) {
        QVERIFY(!p.empty());
        joined += p;
      }
      QCOMPARE(joined, s);
    }
  }

  void handVocabulary() {
    const BpeTokenizer t = hand_tokenizer();
    QCOMPARE(t.vocab_size(), size_t{266});
    QCOMPARE(t.id_bound(), int64_t{266});
    QCOMPARE(t.merge_count(), size_t{10});
    QVERIFY(t.covers_all_bytes());
    QCOMPARE(*t.id_of("Ġ"), kSpace);
    QCOMPARE(*t.id_of("Ċ"), kNewline);
    QCOMPARE(*t.id_of("h"), int32_t{71});
    QVERIFY(!t.id_of(" "));
    using I = std::vector<int32_t>;
    // "hello": h e l l o → (l,l) rank 0 → h e ll o → (ll,o) 1 → h e llo → (h,e) 2 → he llo →
    // (he,llo) 3 → hello. " world": Ġ w o r l d → (Ġ,w) 4 → Ġw o r l d → (Ġw,o) 6 beats (r,l)
    // 7 → Ġwo r l d → rl → Ġwo rl d → (Ġwo,rl) 8 → Ġworl d → (Ġworl,d) 9 → Ġworld.
    QCOMPARE(t.encode("hello world"), I({259, 265}));
    QCOMPARE(t.tokens(t.encode("hello world")), std::vector<std::string>({"hello", "Ġworld"}));
    // The rank order decides. " wow": Ġ w o w; the pairs (Ġ,w) 4 and (o,w) 5: first Ġw o w;
    // then (Ġw,o) 6 and (o,w) 5: (o,w) goes first although (Ġw,o) is further left → Ġw ow, and
    // (Ġw,ow) is no merge. Merging the leftmost mergeable pair first would give Ġwo w instead.
    QCOMPARE(t.encode(" wow"), I({260, 261}));
    QVERIFY(t.encode(" wow") != I({262, ascii('w')}));
    // Every occurrence of the chosen pair, left to right, without overlaps: l l l → ll l.
    QCOMPARE(t.encode("llll"), I({256, 256}));
    QCOMPARE(t.encode("lll"), I({256, ascii('l')}));
    QCOMPARE(t.encode("hellohello"), I({259, 259}));
    // H is not h: H e llo (no "H e" merge).
    QCOMPARE(t.encode("Hello"), I({ascii('H'), ascii('e'), 257}));
    // Merges never cross pieces: " hello" is one piece Ġ h e l l o, and "Ġ h" is no merge;
    // "hello\n" is two, "hello" and "\n".
    QCOMPARE(t.encode(" hello"), I({kSpace, 259}));
    QCOMPARE(t.encode("hello\n"), I({259, kNewline}));
    QCOMPARE(t.encode("hello  world"), I({259, kSpace, 265}));
    QCOMPARE(t.encode(""), I{});
    QCOMPARE(t.decode({259, kSpace, 265, kNewline}), std::string("hello  world\n"));
  }

  void everyOccurrenceAtOnce() {
    // The chosen pair is merged everywhere before the ranks are looked at again. Here "ab a"
    // (rank 0) outranks "a b" (rank 1), though it can only apply once "a b" has. "ababa":
    // a b a b a → (a,b) 1 at both places → ab ab a → (ab,a) 0 → ab aba. Merging one occurrence
    // per round would give ab a b a → (ab,a) 0 first → aba b a, and stop there.
    const BpeTokenizer t = BpeTokenizer::from_text(R"({"a": 0, "b": 1, "ab": 2, "aba": 3})",
                                                   "ab a\na b\n", "v.json", "m.txt");
    QCOMPARE(t.encode("ababa"), std::vector<int32_t>({2, 3}));
    QCOMPARE(t.encode("abab"), std::vector<int32_t>({2, 2}));
    QCOMPARE(t.encode("aba"), std::vector<int32_t>({3}));
  }

  void roundTrip() {
    const BpeTokenizer t = hand_tokenizer();
    std::vector<std::string> texts = {
        "hello world", "Hello, World! It's 2024.\n\n\tTabs\tand  spaces   ",
        "café, naïve, Ωμέγα, Жизнь, 日本語のテキスト, 한국어, 😀👍🏽",
        std::string("\xFF\xFE\0\x80 abc\xC3 \xED\xA0\x80\xF4\x90\x80\x80 end\xE2\x82", 23)};
    std::string all_bytes;
    for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
    texts.push_back(all_bytes);
    std::mt19937 g(11);
    for (int n = 0; n < 200; ++n) {
      std::string s(g() % 64, '\0');
      for (char& c : s) c = static_cast<char>(g() % 4 ? "hel owrd'\n"[g() % 10] : g() % 256);
      texts.push_back(s);
    }
    for (const auto& s : texts) {
      const auto ids = t.encode(s);
      QCOMPARE(t.decode(ids), s);
      for (const int32_t id : ids) QVERIFY(id >= 0 && id < t.id_bound());
    }
  }

  void encodeAndDecodeErrors() {
    // No token for 'c' (nor for most bytes): encode names the vocabulary, the byte, the piece.
    const BpeTokenizer small = BpeTokenizer::from_text(R"({"a": 0, "b": 1, "ab": 2, "€": 7})",
                                                       "a b\n", "small.json", "small.txt");
    QVERIFY(!small.covers_all_bytes());
    QCOMPARE(small.vocab_size(), size_t{4});
    QCOMPARE(small.id_bound(), int64_t{8});  // ids need not be contiguous
    QCOMPARE(small.encode("abab"), std::vector<int32_t>({2, 2}));
    expect_input_error([&] { small.encode("abc"); }, "small.json",
                       "has no token 'c' for the byte 0x63 of the text piece 'abc'");
    expect_input_error([&] { small.encode("a\n"); }, "small.json", "'Ċ' for the byte 0x0a");
    expect_input_error([&] { small.decode({0, 5}); }, "small.json", "no token has the id 5");
    expect_input_error([&] { small.decode({-1}); }, "small.json", "no token has the id -1");
    expect_input_error([&] { small.tokens({3}); }, "small.json", "no token has the id 3");
    // A token outside the byte alphabet stands for no bytes.
    expect_input_error([&] { small.decode({7}); }, "small.json",
                       "the token '€' (id 7) has the character U+20AC");
    QCOMPARE(small.tokens({7, 2}), std::vector<std::string>({"€", "ab"}));
  }

  void malformedVocabulary() {
    const std::string ok_merges = "";
    expect_refused(R"({"a": 0)", ok_merges, "v.json", "invalid JSON");
    expect_refused("", ok_merges, "v.json", "invalid JSON");
    expect_refused("[1, 2]", ok_merges, "v.json", "is an array, not a JSON object");
    expect_refused("\"a\"", ok_merges, "v.json", "is a string, not a JSON object");
    expect_refused("{}", ok_merges, "v.json", "holds no tokens");
    expect_refused(R"({"a": 1.5})", ok_merges, "v.json",
                   "the token 'a' has the id 1.5, not an integer");
    expect_refused(R"({"a": 1.0})", ok_merges, "v.json", "not an integer");
    expect_refused(R"({"a": 1e3})", ok_merges, "v.json", "not an integer");
    expect_refused(R"({"a": 0, "b": -1})", ok_merges, "v.json",
                   "the token 'b' has the negative id -1");
    expect_refused(R"({"a": 0, "b": "1"})", ok_merges, "v.json", "has a string for its id");
    expect_refused(R"({"a": 0, "b": null})", ok_merges, "v.json", "has null for its id");
    expect_refused(R"({"a": 2147483648})", ok_merges, "v.json", "over 2^31 - 1");
    expect_refused(R"({"a": 3, "b": 3})", ok_merges, "v.json",
                   "the tokens 'a' and 'b' both have the id 3");
    expect_refused(R"({"a": 0, "b": 1, "a": 2})", ok_merges, "v.json",
                   "the token 'a' is listed twice");
    expect_refused(R"({"": 0})", ok_merges, "v.json", "the empty string is not a token");
    expect_refused(R"({"a\nb": "x"})", ok_merges, "v.json", "the token 'a\\nb' has a string");
    expect_refused(std::string(100000, '['), ok_merges, "v.json", "nested deeper than 64 levels");
    expect_refused(R"({"a": {"b": 0}})", ok_merges, "v.json", "has an object for its id");
    std::string huge = R"({"a": 0})";
    huge.resize((size_t{64} << 20) + 1, ' ');
    expect_refused(huge, ok_merges, "v.json", "over the 64 MiB limit");
  }

  void malformedMerges() {
    const std::string vocab =
        R"({"a": 0, "b": 1, "ab": 2, "c": 3, "abc": 4, "#version:": 5, "0.2": 6})";
    // Accepted: no header, a header, CRLF line ends, trailing blank lines, no merges at all.
    QCOMPARE(BpeTokenizer::from_text(vocab, "a b", "v.json", "m.txt").merge_count(), size_t{1});
    QCOMPARE(
        BpeTokenizer::from_text(vocab, "#version: 0.2\r\na b\r\nab c\r\n\r\n\n", "v.json", "m.txt")
            .merge_count(),
        size_t{2});
    QCOMPARE(BpeTokenizer::from_text(vocab, "", "v.json", "m.txt").merge_count(), size_t{0});
    QCOMPARE(BpeTokenizer::from_text(vocab, "#version: 0.2\n", "v.json", "m.txt").merge_count(),
             size_t{0});
    // Refused, each naming the line.
    expect_refused(vocab, "#version: 0.2\na\n", "m.txt",
                   "line 2: 'a' is not two tokens separated by one space");
    expect_refused(vocab, "a b c\n", "m.txt", "line 1: 'a b c' is not two tokens");
    expect_refused(vocab, "a  b\n", "m.txt", "line 1: 'a  b' is not two tokens");
    expect_refused(vocab, " a\n", "m.txt", "line 1: ' a' is not two tokens");
    expect_refused(vocab, "a \n", "m.txt", "line 1: 'a ' is not two tokens");
    expect_refused(vocab, "a\tb\n", "m.txt", "line 1: 'a\\tb' is not two tokens");
    expect_refused(vocab, "a b\nab z\n", "m.txt", "line 2: the token 'z' is not in v.json");
    expect_refused(vocab, "q b\n", "m.txt", "line 1: the token 'q' is not in v.json");
    expect_refused(vocab, "b a\n", "m.txt", "line 1: the merged token 'ba' is not in v.json");
    expect_refused(vocab, "a b\nab c\na b\n", "m.txt", "line 3: the merge 'a b' repeats line 1");
    expect_refused(vocab, "a b\n\nab c\n", "m.txt", "line 2: blank line before more merges");
    // "#version" is a header on line 1 only; later it is a merge like any other.
    expect_refused(vocab, "a b\n#version: 0.2\n", "m.txt",
                   "line 2: the merged token '#version:0.2'");
    std::string huge(size_t{64} << 20, 'a');
    huge += " b";
    expect_refused(vocab, huge, "m.txt", "over the 64 MiB limit");
  }

  void files() {
    test::ScratchDir dir("bpe");
    const std::string v = dir.file("vocab.json"), m = dir.file("merges.txt");
    std::ofstream(v, std::ios::binary) << vocab_json(hand_tokens());
    std::ofstream(m, std::ios::binary) << kMerges;
    const BpeTokenizer t = load_bpe(v, m);
    QCOMPARE(t.encode("hello world"), std::vector<int32_t>({259, 265}));
    const std::string missing = dir.file("absent.json");
    expect_input_error([&] { load_bpe(missing, m); }, missing, "cannot read");
    expect_input_error([&] { load_bpe(v, dir.file("absent.txt")); }, dir.file("absent.txt"),
                       "cannot read");
    expect_input_error([&] { load_bpe("", m); }, "(empty path)", "no path given for vocab.json");
    expect_input_error([&] { load_bpe(v, ""); }, "(empty path)", "no path given for merges.txt");
    expect_input_error([&] { load_bpe(dir.path().string(), m); }, dir.path().string(),
                       "is a directory");
    // A broken file read from disk is named by its path.
    std::ofstream(m, std::ios::binary | std::ios::trunc) << "#version: 0.2\nl l\nqq q\n";
    expect_input_error([&] { load_bpe(v, m); }, m, "line 3: the token 'qq' is not in " + v);
  }
};

QTEST_APPLESS_MAIN(TestBpeTokenizer)
#include "test_bpe_tokenizer.moc"
