# Generates a C++ source that embeds the files under templates/ and hooks/, so the
# installed binary needs nothing from the source tree. Run at build time (-P script mode).
# Inputs: OUT (the .cpp to write), FILES (;-list of absolute paths), ROOT (to name them).
set(body "#include \"vzlvs/base/embedded.hpp\"\n#include <map>\n\nnamespace vzlvs {\n\n")
string(APPEND body "const std::map<std::string, std::string>& embedded_files() {\n")
string(APPEND body "    static const std::map<std::string, std::string> files = {\n")
string(REPLACE "|" ";" FILES "${FILES}")
foreach(f IN LISTS FILES)
    file(RELATIVE_PATH name "${ROOT}" "${f}")
    file(READ "${f}" content)
    string(APPEND body "        {\"${name}\", R\"vzlvs_embed(${content})vzlvs_embed\"},\n")
endforeach()
string(APPEND body "    };\n    return files;\n}\n\n}  // namespace vzlvs\n")
file(WRITE "${OUT}.new" "${body}")
file(COPY_FILE "${OUT}.new" "${OUT}" ONLY_IF_DIFFERENT)
