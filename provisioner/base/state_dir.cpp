#include "vzlvs/base/state_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vzlvs/base/error.hpp"

namespace vzlvs {

namespace fs = std::filesystem;

namespace {

std::string octal(mode_t m) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
    return buf;
}

}  // namespace

void ensure_private_dir(const fs::path& dir) {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) {
        if (errno != ENOENT)
            throw UsageError("state_dir " + dir.string() + ": " + std::strerror(errno));
        const fs::path parent = dir.parent_path();
        if (!parent.empty() && parent != dir && !fs::exists(parent)) {
            std::error_code ec;
            fs::create_directories(parent, ec);
            if (ec) throw Error("cannot create " + parent.string() + ": " + ec.message());
            fs::permissions(parent, fs::perms(0755), ec);
        }
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
            throw Error("cannot create " + dir.string() + ": " + std::strerror(errno));
        ::chmod(dir.c_str(), 0700);  // the umask filtered mkdir's mode
        if (::lstat(dir.c_str(), &st) != 0)
            throw Error("cannot stat " + dir.string() + ": " + std::strerror(errno));
    }
    if (S_ISLNK(st.st_mode))
        throw UsageError("state_dir " + dir.string() +
                         " is a symlink: vzlvs writes as root there, so it must be a real "
                         "directory (point state_dir at the target instead)");
    if (!S_ISDIR(st.st_mode)) throw UsageError("state_dir " + dir.string() + " is not a directory");
    if (st.st_uid != ::geteuid())
        throw UsageError("state_dir " + dir.string() + " is owned by uid " +
                         std::to_string(st.st_uid) + ", not by the user vzlvs runs as (uid " +
                         std::to_string(::geteuid()) + "): `chown root: " + dir.string() + "`");
    if (st.st_mode & 022)
        throw UsageError("state_dir " + dir.string() + " has mode " + octal(st.st_mode) +
                         ": writable by group or others, who could plant links vzlvs (root) "
                         "would write through: `chmod 700 " +
                         dir.string() + "`");
}

fs::path state_subdir(const fs::path& state_dir, const std::string& name) {
    ensure_private_dir(state_dir);
    const fs::path sub = state_dir / name;
    ensure_private_dir(sub);
    return sub;
}

int open_private_file(const fs::path& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        throw Error("cannot open " + path.string() + ": " + std::strerror(errno) +
                    (errno == ELOOP ? " (it is a symlink: vzlvs never writes through one)" : ""));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error("cannot use " + path.string() + ": not a regular file");
    }
    return fd;
}

}  // namespace vzlvs
