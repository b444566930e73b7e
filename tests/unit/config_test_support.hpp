// What the config tests share: a minimal config, the problems a text gets, a temp dir.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "vzlvs/config/config.hpp"

namespace vzlvs::config_test {
inline const char* kMinimal =
    "[service web]\n"
    "vip = 192.0.2.10\n"
    "port = 80\n"
    "[container 101]\n"
    "services = web\n";

inline std::vector<ConfigProblem> problems_of(const std::string& text) {
    try {
        parse_config(text, "test.conf");
    } catch (const ConfigError& e) {
        return e.problems();
    }
    ADD_FAILURE() << "expected a ConfigError for:\n" << text;
    return {};
}

// The single problem of text, which must have exactly one.
inline ConfigProblem problem_of(const std::string& text) {
    auto problems = problems_of(text);
    EXPECT_EQ(problems.size(), 1U) << "for:\n" << text;
    if (problems.empty()) return {};
    if (problems.size() != 1) {
        for (const auto& p : problems) std::cerr << "  " << p.str() << "\n";
    }
    return problems.front();
}

inline std::string hostname() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return host;
}

class TempDir {
  public:
    TempDir() {
        char tmpl[] = "/tmp/vzlvs-config-test.XXXXXX";
        path_ = mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    std::filesystem::path write(const std::string& name, const std::string& text) const {
        std::ofstream(path_ / name, std::ios::binary) << text;
        return path_ / name;
    }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

}  // namespace vzlvs::config_test
