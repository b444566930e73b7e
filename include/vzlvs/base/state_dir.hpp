// vzlvs's own directory (state_dir): its logs, locks and markers. vzlvs runs as root, so a
// directory another user can write into would let that user plant a symlink root then
// writes through. Everything here is made with explicit modes, whatever the umask, and a
// state_dir that is not private is refused.
#pragma once

#include <filesystem>
#include <string>

namespace vzlvs {

// Creates `dir` (0700; missing parents 0755) or checks the one there: a real directory, owned
// by the user vzlvs runs as, not writable by group or others. Throws UsageError saying why
// and what to run otherwise.
void ensure_private_dir(const std::filesystem::path& dir);

// ensure_private_dir(state_dir) and its subdirectory `name`; returns the subdirectory.
std::filesystem::path state_subdir(const std::filesystem::path& state_dir, const std::string& name);

// Opens (creating 0600) a regular file in a private directory, never through a symlink.
// `flags` is added to O_CREAT | O_NOFOLLOW | O_CLOEXEC. Throws Error.
int open_private_file(const std::filesystem::path& path, int flags);

}  // namespace vzlvs
