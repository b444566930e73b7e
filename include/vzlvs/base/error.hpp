// Error types that carry the process exit code a failure maps to (see docs/cli.md).
#pragma once

#include <stdexcept>
#include <string>

namespace vzlvs {

enum class Exit : int {
    ok = 0,
    failed = 1,  // an operation failed, or `check` found a problem
    usage = 2,   // bad command line or configuration: nothing was changed
    busy = 3,    // a lock is held by another vzlvs or vzctl: retry later
};

class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& what, Exit exit = Exit::failed)
        : std::runtime_error(what), exit_(exit) {}
    // `fix`: what to do about it, where the thrower knows better than the step that meets it
    // (a read that timed out in a CT wants another fix than the step's own).
    Error(const std::string& what, std::string fix)
        : std::runtime_error(what), exit_(Exit::failed), fix_(std::move(fix)) {}
    Exit exit() const { return exit_; }
    const std::string& fix() const { return fix_; }

  private:
    Exit exit_;
    std::string fix_;
};

// Something did not answer in time (a command inside a container): asking again within the
// same run would only wait as long again.
class TimedOut : public Error {
  public:
    using Error::Error;
};

// Bad user input (config file or command line). Always raised before any change.
class UsageError : public Error {
  public:
    explicit UsageError(const std::string& what) : Error(what, Exit::usage) {}
};

// Another actor holds a lock we need (our per-CT flock, or vzctl's exit 9 after retries).
class BusyError : public Error {
  public:
    explicit BusyError(const std::string& what) : Error(what, Exit::busy) {}
};

}  // namespace vzlvs
