#pragma once
// A validator for the subset of JSON Schema the experiment schema uses: type, properties,
// required, additionalProperties:false, enum, minimum/maximum (exclusive too), minItems,
// items, pattern, default. It also fills in defaults, so the schema is the single source
// of truth for them.
#include <nlohmann/json.hpp>
#include <string>

namespace ridgeline::detail {

/// Validates `doc` against `schema` and fills defaults in place. Throws InputError
/// "<source>: <key path>: <problem>" on the first violation.
void validate_and_fill(nlohmann::json& doc, const nlohmann::json& schema, const std::string& source);

}  // namespace ridgeline::detail
