// Per-container flock under state_dir, so a hook, a provision and a check never interleave
// on the same CT. Released when the object dies (and by the kernel if the process dies).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

namespace vzlvs {

class CtLock {
  public:
    // wait == 0: fail at once with BusyError if held. Otherwise wait up to `wait`.
    CtLock(const std::filesystem::path& state_dir, const std::string& ctid,
           std::chrono::milliseconds wait = std::chrono::milliseconds(0));
    ~CtLock();
    CtLock(const CtLock&) = delete;
    CtLock& operator=(const CtLock&) = delete;

  private:
    int fd_ = -1;
};

}  // namespace vzlvs
