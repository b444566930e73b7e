// Quoting for a POSIX shell. vzlvs never runs shell strings of its own; it quotes only where
// another program re-parses words in a shell (vzctl exec) and in messages.
#pragma once

#include <string>

namespace vzlvs {

// One word for a POSIX shell: as it is when it is safe, else '…' with embedded quotes escaped.
std::string shell_quote(const std::string& word);

}  // namespace vzlvs
