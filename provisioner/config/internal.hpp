// The stages of reading a config, shared by the config layer's .cpp files only: INI syntax →
// sections with line numbers → typed Config → cross-checks. Each stage adds to one Problems list so
// the user sees every mistake in one run.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "vzlvs/config/config.hpp"

namespace vzlvs::config_detail {

struct RawEntry {
    std::string key;
    std::string value;  // quotes already stripped
    int line = 0;
};

struct RawSection {
    std::string kind;  // node, director, service, container (or what the user wrote)
    std::string arg;   // the NAME / CTID after the kind, "" if none
    int line = 0;
    std::vector<RawEntry> entries;

    std::string label() const { return arg.empty() ? kind : kind + " " + arg; }
    const RawEntry* find(const std::string& key) const;
    // The line of key if it was written, else the section header's line.
    int line_of(const std::string& key) const;
};

struct RawConfig {
    std::vector<RawSection> sections;  // in file order, duplicates already removed
    // Appends a section; its position is indexed by label, so that find() stays cheap and
    // reading a file of many sections stays linear.
    void add(RawSection s);
    const RawSection* find(const std::string& kind, const std::string& arg) const;

  private:
    std::map<std::string, std::size_t> index_;  // label → position in sections
};

class Problems {
  public:
    Problems(std::string file, UnknownKeys unknown = UnknownKeys::refuse)
        : file_(std::move(file)), unknown_(unknown) {}
    void add(int line, std::string section, std::string key, std::string message);
    // A key or section this version does not know: a problem, or a warning under
    // UnknownKeys::warn (the entry is then skipped).
    void unknown(int line, std::string section, std::string key, std::string message);
    bool empty() const { return problems_.empty(); }
    // Sorted by line (problems not tied to a line last), in the order found otherwise.
    std::vector<ConfigProblem> sorted() const;
    std::vector<ConfigProblem> warnings() const;  // sorted as well

  private:
    static std::vector<ConfigProblem> by_line(std::vector<ConfigProblem> problems);
    ConfigProblem make(int line, std::string section, std::string key, std::string message) const;
    std::string file_;
    UnknownKeys unknown_;
    std::vector<ConfigProblem> problems_;
    std::vector<ConfigProblem> warnings_;
};

// Syntax only: line length, sections, key = value, duplicates. See ini.cpp.
RawConfig read_ini(const std::string& text, Problems& problems);
// Known sections and keys, each value checked and stored. See sections.cpp.
void apply_sections(const RawConfig& raw, Config& cfg, Problems& problems);
// Rules that span sections (shared VIPs, duplicate virtual services). See crosscheck.cpp.
void cross_check(const RawConfig& raw, const Config& cfg, Problems& problems);

}  // namespace vzlvs::config_detail
