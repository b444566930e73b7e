// A ProcessRunner that runs nothing: each argv is recorded, and answered by `answer` when the
// test sets it, else refused as a missing program. Flow tests use it to prove a run spawned
// no process.
#pragma once

#include <functional>

#include "vzlvs/base/process.hpp"

namespace vzlvs::fakes {

class FakeProcessRunner : public ProcessRunner {
  public:
    std::vector<std::vector<std::string>> calls;
    std::function<RunResult(const std::vector<std::string>&)> answer;

    RunResult run(const std::vector<std::string>& argv, const RunOptions& = {}) override {
        calls.push_back(argv);
        if (answer) return answer(argv);
        throw ProgramNotFound("fake runner: " + describe_argv(argv) + " is not faked");
    }
};

}  // namespace vzlvs::fakes
