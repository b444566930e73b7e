// INI syntax. inih splits `key = value` and strips comments; everything inih does silently
// (cutting long lines, joining indented lines, accepting duplicates, ignoring text after `]`)
// is caught here first. Lines are fed to inih one at a time through our own reader: its
// ini_parse_string reader cuts a 199-character line and counts the rest as one more line,
// which shifts every later line number.
#include <ini.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "config/internal.hpp"
#include "vzlvs/base/strings.hpp"
#include "vzlvs/config/validate.hpp"

namespace vzlvs::config_detail {
namespace {

enum class Kind { blank, comment, header, entry, rejected };

struct Line {
    int number = 0;
    std::string text;  // without line end and leading blanks
    Kind kind = Kind::blank;
    bool handled = false;  // inih called the handler for it
    std::string section;   // label of the section it fell in, for syntax errors
};

constexpr int kNoSection = -1;  // before the first header: keys here are errors
constexpr int kIgnored = -2;    // under a broken or duplicate header: already reported

const std::vector<std::string> kKinds = {"node", "director", "director_host", "service",
                                         "container"};
const char* kSectionForms =
    "allowed: [node], [director], [director_host], [service NAME], [container CTID]";

// Only blanks: a value's other bytes are its own.
std::string trim(const std::string& s) { return vzlvs::trim(s, " \t"); }

std::string excerpt(const std::string& s) { return s.size() <= 40 ? s : s.substr(0, 37) + "..."; }

struct Reader {
    std::vector<Line> lines;
    std::size_t next = 0;
    std::size_t current = 0;
    int section = kNoSection;
    RawConfig raw;
    Problems& problems;

    explicit Reader(Problems& p) : problems(p) {}

    std::string section_label() const {
        return section >= 0 ? raw.sections[static_cast<std::size_t>(section)].label() : "";
    }

    void header(const Line& l) {
        section = kIgnored;
        auto close = l.text.find(']');
        if (close == std::string::npos) {
            problems.add(l.number, trim(l.text.substr(1)), "",
                         "section header has no closing `]`; " + std::string(kSectionForms));
            return;
        }
        std::string inner = trim(l.text.substr(1, close - 1));
        std::string after = trim(l.text.substr(close + 1));
        if (!after.empty() && after[0] != ';' && after[0] != '#') {
            problems.add(l.number, inner, "",
                         "unexpected text `" + excerpt(after) +
                             "` after `]`; only a comment starting with ; or # may follow");
            return;
        }
        std::vector<std::string> words;
        for (std::size_t pos = 0; pos < inner.size();) {
            auto start = inner.find_first_not_of(" \t", pos);
            if (start == std::string::npos) break;
            auto end = inner.find_first_of(" \t", start);
            words.push_back(inner.substr(start, end == std::string::npos ? end : end - start));
            pos = end == std::string::npos ? inner.size() : end;
        }
        if (words.empty()) {
            problems.add(l.number, "", "",
                         "empty section name `[]`; " + std::string(kSectionForms));
            return;
        }
        const std::string& kind = words[0];
        if (std::find(kKinds.begin(), kKinds.end(), kind) == kKinds.end()) {
            problems.unknown(l.number, inner, "",
                             "unknown section; " + std::string(kSectionForms) +
                                 validate::suggestion(kind, kKinds));
            return;
        }
        bool named = kind == "service" || kind == "container";
        std::string form = kind == "service"     ? "[service NAME]"
                           : kind == "container" ? "[container CTID]"
                                                 : "[" + kind + "]";
        if (words.size() != (named ? 2U : 1U)) {
            problems.add(l.number, inner, "",
                         std::string(named ? "the section needs exactly one "
                                           : "the section takes "
                                             "no name") +
                             (named ? (kind == "service" ? "NAME" : "CTID") : "") + "; write " +
                             form);
            return;
        }
        RawSection s;
        s.kind = kind;
        s.arg = named ? words[1] : "";
        s.line = l.number;
        if (const RawSection* first = raw.find(s.kind, s.arg)) {
            problems.add(l.number, s.label(), "",
                         "duplicate section; [" + s.label() + "] is already defined at line " +
                             std::to_string(first->line) + ": put all its keys in one section");
            return;
        }
        raw.add(s);
        section = static_cast<int>(raw.sections.size()) - 1;
    }

    void entry(const std::string& key, std::string value) {
        Line& l = lines[current];
        l.handled = true;
        if (section == kIgnored) return;
        if (key.empty()) {
            problems.add(l.number, section_label(), "",
                         "`=` without a key before it; write `key = value`");
            return;
        }
        if (section == kNoSection) {
            problems.add(l.number, "", key,
                         "key outside any section; put it under a section header (" +
                             std::string(kSectionForms) + ")");
            return;
        }
        RawSection& s = raw.sections[static_cast<std::size_t>(section)];
        if (!value.empty() && value.front() == '"') {
            if (value.size() < 2 || value.back() != '"') {
                problems.add(l.number, s.label(), key,
                             "the value starts with \" but does not end with one; quote the "
                             "whole value or nothing (a ; after a blank starts a comment even "
                             "inside quotes)");
                return;
            }
            value = value.substr(1, value.size() - 2);
        }
        if (const RawEntry* first = s.find(key)) {
            problems.add(l.number, s.label(), key,
                         "duplicate key; it is already set at line " + std::to_string(first->line) +
                             ": each key may appear once per section");
            return;
        }
        s.entries.push_back({key, value, l.number});
    }
};

std::vector<Line> split_lines(const std::string& text, Problems& problems) {
    std::vector<Line> lines;
    std::size_t pos = 0;
    int number = 0;
    std::string section_label;  // of the header seen last: for problems on rejected lines
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        std::string raw = text.substr(pos, nl == std::string::npos ? nl : nl - pos);
        pos = nl == std::string::npos ? text.size() : nl + 1;
        Line l;
        l.number = ++number;
        if (!raw.empty() && raw.back() == '\r') raw.pop_back();
        if (number == 1 && raw.rfind("\xEF\xBB\xBF", 0) == 0) raw.erase(0, 3);
        std::string stripped = trim(raw);
        auto eq = stripped.find('=');
        std::string key = eq == std::string::npos ? "" : trim(stripped.substr(0, eq));
        if (key.size() > 40 || stripped.rfind('[', 0) == 0) key.clear();
        if (raw.size() > validate::kMaxLine) {
            problems.add(l.number, section_label, key,
                         "line is " + std::to_string(raw.size()) +
                             " characters; the longest accepted is " +
                             std::to_string(validate::kMaxLine));
            l.kind = Kind::rejected;
        }
        auto bad = std::find_if(raw.begin(), raw.end(), [](unsigned char c) {
            return (c < 0x20 && c != '\t') || c == 0x7f;
        });
        if (l.kind != Kind::rejected && bad != raw.end()) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(*bad));
            problems.add(l.number, section_label, key,
                         std::string("line has control character ") + hex + " at column " +
                             std::to_string(bad - raw.begin() + 1) +
                             "; only printable text and tabs are allowed");
            l.kind = Kind::rejected;
        }
        if (stripped.rfind('[', 0) == 0) {
            auto close = stripped.find(']');
            section_label =
                trim(stripped.substr(1, close == std::string::npos ? close : close - 1));
        }
        if (l.kind == Kind::rejected) {
            lines.push_back(l);
            continue;
        }
        // Leading blanks are dropped so inih never joins an indented line to the key above.
        l.text = raw.substr(raw.find_first_not_of(" \t") == std::string::npos
                                ? raw.size()
                                : raw.find_first_not_of(" \t"));
        if (stripped.empty()) {
            l.kind = Kind::blank;
        } else if (stripped[0] == ';' || stripped[0] == '#') {
            l.kind = Kind::comment;
        } else if (stripped[0] == '[') {
            l.kind = Kind::header;
        } else {
            l.kind = Kind::entry;
        }
        lines.push_back(l);
    }
    return lines;
}

char* read_line(char* str, int num, void* stream) {
    auto& r = *static_cast<Reader*>(stream);
    if (r.next >= r.lines.size()) return nullptr;
    r.current = r.next++;
    Line& l = r.lines[r.current];
    l.section = r.section_label();
    std::string feed;
    if (l.kind == Kind::header) {
        r.header(l);
        // inih only needs the header to keep its own state sane; ours is authoritative.
        feed = r.section >= 0 ? l.text : "";
    } else if (l.kind == Kind::entry || l.kind == Kind::comment) {
        feed = l.text;
    }
    if (feed.size() + 1 > static_cast<std::size_t>(num)) {
        // Only if this inih was built with a smaller INI_MAX_LINE than the one we check against.
        r.problems.add(l.number, r.section_label(), "",
                       "line is " + std::to_string(feed.size()) +
                           " characters; the longest this inih accepts is " +
                           std::to_string(num - 1));
        l.handled = true;
        feed.clear();
    }
    std::copy(feed.begin(), feed.end(), str);
    str[feed.size()] = '\0';
    return str;
}

int on_entry(void* user, const char* /*section*/, const char* name, const char* value) {
    static_cast<Reader*>(user)->entry(name, value);
    return 1;
}

}  // namespace

const RawEntry* RawSection::find(const std::string& key) const {
    for (const auto& e : entries) {
        if (e.key == key) return &e;
    }
    return nullptr;
}

int RawSection::line_of(const std::string& key) const {
    const RawEntry* e = find(key);
    return e ? e->line : line;
}

void RawConfig::add(RawSection s) {
    index_.emplace(s.label(), sections.size());
    sections.push_back(std::move(s));
}

const RawSection* RawConfig::find(const std::string& kind, const std::string& arg) const {
    const RawSection probe{kind, arg, 0, {}};
    auto it = index_.find(probe.label());
    return it == index_.end() ? nullptr : &sections[it->second];
}

RawConfig read_ini(const std::string& text, Problems& problems) {
    Reader r(problems);
    r.lines = split_lines(text, problems);
    // The return value only names the first line inih disliked; unhandled lines are found below.
    ini_parse_stream(read_line, &r, on_entry, &r);
    for (const auto& l : r.lines) {
        if (l.kind == Kind::entry && !l.handled) {
            problems.add(l.number, l.section, "",
                         "expected `key = value`, got `" + excerpt(l.text) +
                             "`; comments start with ; or # at the beginning of a line");
        }
    }
    return std::move(r.raw);
}

}  // namespace vzlvs::config_detail
