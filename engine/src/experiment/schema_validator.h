#pragma once
// A validator for the subset of JSON Schema (draft 2020-12) the experiment schema uses: type,
// properties, required, additionalProperties:false, unevaluatedProperties:false, enum, const,
// minimum/maximum (exclusive too), minLength/maxLength, pattern, minItems/maxItems, items,
// $ref to "#/$defs/<name>", allOf of if/then branches whose "if" only tests properties'
// "const" (how a step's "type" selects its kind's fragment), and default. It also fills in
// defaults, so the schema is the single source of truth for them. A keyword outside this
// subset is a std::logic_error (the schema is compiled in; a test validates it).
#include <nlohmann/json.hpp>
#include <string>

namespace ridgeline::detail {

/// Validates `doc` against `schema` and fills defaults in place. Throws InputError
/// "<source>: <key path>: <problem>" on the first violation; values echoed in the message are
/// cut to a few dozen characters. Strings longer than maxLength are rejected before any
/// pattern is matched (std::regex recurses per character).
void validate_and_fill(nlohmann::json& doc, const nlohmann::json& schema, const std::string& source);

/// The schema `s` points to, following "$ref": "#/$defs/<name>" within `root`.
const nlohmann::json& resolve_ref(const nlohmann::json& root, const nlohmann::json& s);

/// Throws std::logic_error when `schema` uses a keyword this validator does not implement.
void check_schema_keywords(const nlohmann::json& schema);

/// `v` as JSON text for an error message: at most `max_chars` characters ("…" marks a cut),
/// control characters escaped as JSON escapes them.
std::string echo_value(const nlohmann::json& v, size_t max_chars = 60);

}  // namespace ridgeline::detail
