#include "vzlvs/base/probe_cache.hpp"

#include <sys/stat.h>

#include <atomic>
#include <exception>
#include <sstream>

#include "vzlvs/base/files.hpp"

namespace vzlvs {

namespace fs = std::filesystem;

namespace {
std::atomic<int> g_no_writes{0};
}  // namespace

NoProbeCacheWrites::NoProbeCacheWrites() { ++g_no_writes; }
NoProbeCacheWrites::~NoProbeCacheWrites() { --g_no_writes; }

std::optional<std::vector<std::string>> read_probe_cache(const fs::path& file,
                                                         const std::string& key) {
    if (key.empty()) return std::nullopt;
    auto text = read_file(file);
    if (!text || text->size() > 4096) return std::nullopt;
    std::istringstream in(*text);
    std::string k;
    std::getline(in, k);
    if (k != key) return std::nullopt;
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

void write_probe_cache(const fs::path& file, const std::string& key,
                       const std::vector<std::string>& lines) {
    std::error_code ec;
    if (g_no_writes > 0 || key.empty() || !fs::is_directory(file.parent_path(), ec)) return;
    std::string text = key + "\n";
    for (const auto& l : lines) text += l + "\n";
    try {
        atomic_write(file, text, 0600);
    } catch (const std::exception&) {
        // A cache only: the next run asks again.
    }
}

std::string binary_identity(const fs::path& binary) {
    struct stat st {};
    if (::stat(binary.c_str(), &st) != 0) return "";
    std::ostringstream key;
    key << binary.string() << " " << st.st_dev << ":" << st.st_ino << " " << st.st_size << " "
        << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
    return key.str();
}

std::string boot_identity() {
    auto id = read_file("/proc/sys/kernel/random/boot_id");
    if (!id) return "";
    std::string s = *id;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s.size() > 64 ? "" : "boot " + s;
}

}  // namespace vzlvs
