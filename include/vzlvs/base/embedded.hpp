// Files from templates/ and hooks/ compiled into the binary (see cmake/embed.cmake), and the
// one way they are rendered: {{NAME}} placeholders, each value validated by the caller.
#pragma once

#include <map>
#include <string>

namespace vzlvs {

// Keyed by path relative to the source root, e.g. "templates/ct-net.sh".
const std::map<std::string, std::string>& embedded_files();

// The embedded file `name` with every {{KEY}} replaced. Throws Error for an unknown file,
// a placeholder without a value, or a value left unused (a template and its caller disagree).
std::string render_template(const std::string& name,
                            const std::map<std::string, std::string>& values);

}  // namespace vzlvs
