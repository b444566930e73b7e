// One ordered record of what the fakes were asked to change, shared by all of them, so a
// test can assert the order across seams ("the guard before the first --ipadd").
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace vzlvs::fakes {

struct Events {
    std::vector<std::string> log;

    void add(std::string e) { log.push_back(std::move(e)); }
    // Index of the first event starting with `prefix`, or -1.
    int first(const std::string& prefix) const {
        for (size_t i = 0; i < log.size(); ++i)
            if (log[i].rfind(prefix, 0) == 0) return static_cast<int>(i);
        return -1;
    }
    bool any(const std::string& prefix) const { return first(prefix) >= 0; }
};

}  // namespace vzlvs::fakes
