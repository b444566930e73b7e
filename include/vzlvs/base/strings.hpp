// Small string helpers every layer uses for messages.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace vzlvs {

// Joins a list for messages: "a, b, c".
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

// The shortest exact spelling of d in the config file's duration units ("90s", "2m", "250ms").
std::string format_duration(std::chrono::milliseconds d);

// Text from outside (a container's output, a director's reply) made safe to print: control
// characters (escape sequences among them) and bytes that are not well-formed UTF-8 become
// '?', so the result is valid UTF-8; it is cut to `max` bytes with "…". `lines`: newlines (and
// tabs) are kept, for multi-line messages.
std::string printable(const std::string& text, std::size_t max = 512, bool lines = false);

// s without leading and trailing `blanks`.
std::string trim(const std::string& s, const char* blanks = " \t\r\n");

// A decimal number in [0, max]; throws Error naming `what` and the text otherwise.
unsigned long parse_unsigned(const std::string& text, const std::string& what,
                             unsigned long max = 0xffffffffUL);

// Text with \n \r \t \\ and \xNN escapes (a UDP probe's payload in the config file) as the
// bytes it stands for; nullopt on a malformed escape.
std::optional<std::string> unescape_bytes(const std::string& text);

}  // namespace vzlvs
