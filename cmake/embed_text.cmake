# Usage: cmake -DIN=file -DOUT=file.cpp -P embed_text.cmake
file(READ ${IN} content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE ${OUT} "// Generated from ${IN}; do not edit.\n#include <string_view>\nnamespace ridgeline::detail {\nstatic const unsigned char kSchemaBytes[] = {${bytes} 0x00};\nstd::string_view experiment_schema_text() {\n  return {reinterpret_cast<const char*>(kSchemaBytes), sizeof(kSchemaBytes) - 1};\n}\n}  // namespace ridgeline::detail\n")
