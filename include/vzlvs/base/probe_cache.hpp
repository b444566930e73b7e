// Answers vzlvs found out about the node once and keeps in state_dir, so that hooks and later
// runs spawn nothing for them: which vzctl the node has, which ARP guard backend its kernel
// takes. Each file is "KEY\nVALUE LINE...\n"; the answer holds while KEY does, so the key
// names what would change it (the binary's identity, the boot).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vzlvs {

// The lines after the key, when `file` holds `key` (and is small); nullopt otherwise.
std::optional<std::vector<std::string>> read_probe_cache(const std::filesystem::path& file,
                                                         const std::string& key);
// Writes key and lines (0600, temp file + rename) when file's directory exists; a failure
// is ignored: the next run asks again.
void write_probe_cache(const std::filesystem::path& file, const std::string& key,
                       const std::vector<std::string>& lines);

// While one of these lives, write_probe_cache writes nothing: a run that must leave the node
// as it found it (check, --dry-run) reads the answers but keeps none.
class NoProbeCacheWrites {
  public:
    NoProbeCacheWrites();
    ~NoProbeCacheWrites();
    NoProbeCacheWrites(const NoProbeCacheWrites&) = delete;
    NoProbeCacheWrites& operator=(const NoProbeCacheWrites&) = delete;
};

// A key part for a binary: path, device, inode, size and mtime ("" when it does not exist),
// so an upgrade or a reinstall drops the answer.
std::string binary_identity(const std::filesystem::path& binary);
// A key part for this boot of the kernel (/proc/sys/kernel/random/boot_id): what the kernel
// can do does not change until the next boot ("" when unreadable).
std::string boot_identity();

}  // namespace vzlvs
