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
    // create == false (a --dry-run, which writes nothing): a lock file that does not exist
    // yet is not made, and nothing is locked -- no other vzlvs has ever held it either.
    CtLock(const std::filesystem::path& state_dir, const std::string& ctid,
           std::chrono::milliseconds wait = std::chrono::milliseconds(0), bool create = true);
    ~CtLock();
    CtLock(const CtLock&) = delete;
    CtLock& operator=(const CtLock&) = delete;

  private:
    int fd_ = -1;
};

}  // namespace vzlvs
