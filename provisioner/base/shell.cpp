// POSIX shell quoting: `vzctl exec` joins its words and hands them to the CT's bash, and
// describe_argv quotes the same way for messages.
#include "vzlvs/base/shell.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace vzlvs {
namespace {

bool is_safe_char(char c) {
    // '=' is excluded: a bare `A=1` in command position is an assignment, not a program.
    // '%', '~', '#' and the like have meaning in some positions, so they are quoted too.
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '/' || c == '.' || c == ',' || c == ':' || c == '@' || c == '+' || c == '-';
}

// Reserved words are recognised only when unquoted: `time` bare would be bash's keyword.
bool is_reserved_word(const std::string& word) {
    static const std::array<const char*, 17> words = {
        "if",    "then",  "else", "elif", "fi",       "case", "esac", "for",   "select",
        "while", "until", "do",   "done", "function", "time", "in",   "coproc"};
    return std::any_of(words.begin(), words.end(), [&](const char* w) { return word == w; });
}

}  // namespace

std::string shell_quote(const std::string& word) {
    if (!word.empty() && std::all_of(word.begin(), word.end(), is_safe_char) &&
        !is_reserved_word(word)) {
        return word;
    }
    std::string out = "'";
    for (char c : word) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}

}  // namespace vzlvs
