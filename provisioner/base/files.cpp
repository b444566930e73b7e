#include "vzlvs/base/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

namespace vzlvs {
namespace fs = std::filesystem;

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Closes on scope exit so every early throw releases the descriptor.
class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    void reset(int fd) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }
    // close() can report a deferred write error (NFS), so it is checked when it matters.
    int close() {
        int rc = ::close(fd_);
        fd_ = -1;
        return rc;
    }

  private:
    int fd_;
};

void fsync_dir(const fs::path& dir, const fs::path& for_file) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
        throw Error("cannot fsync directory " + dir.string() + " after updating " +
                    for_file.string() + ": " + errno_text(errno) +
                    "; the change may not survive a crash, check the filesystem");
    }
}

fs::path parent_or_dot(const fs::path& p) {
    fs::path dir = p.parent_path();
    return dir.empty() ? fs::path(".") : dir;
}

// --- marked blocks ---------------------------------------------------------------------

struct Block {
    std::size_t begin = 0;       // offset of the BEGIN line
    std::size_t body_begin = 0;  // first byte after the BEGIN line
    std::size_t body_end = 0;    // offset of the END line
    std::size_t end = 0;         // one past the END line (its "\n" included when present)
    bool end_has_newline = true;
};

void check_id(const std::string& id) {
    if (id.empty()) throw Error("vzlvs block id is empty; this is a bug in the caller");
    for (char c : id) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            throw Error("vzlvs block id '" + id +
                        "' contains a control character; this is a bug in the caller");
        }
    }
}

// A line without its terminator; a single "\r" is dropped so CRLF files still match.
std::string_view line_content(std::string_view line) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

std::optional<Block> locate(const std::string& text, const std::string& id) {
    check_id(id);
    const std::string begin = block_begin(id);
    const std::string end = block_end(id);
    const std::string_view all(text);

    std::optional<Block> found;
    bool open = false;
    std::size_t begin_line = 0;
    std::size_t pos = 0;
    for (std::size_t lineno = 1; pos < text.size(); ++lineno) {
        std::size_t nl = text.find('\n', pos);
        std::size_t next = nl == std::string::npos ? text.size() : nl + 1;
        std::string_view content = line_content(all.substr(pos, next - pos));
        if (content == begin) {
            if (open || found) {
                throw CorruptBlock("line " + std::to_string(lineno) + " is a second '" + begin +
                                       "' (the first is on line " + std::to_string(begin_line) +
                                       "); vzlvs will not guess which lines are its own: merge "
                                       "or delete the blocks by hand",
                                   lineno);
            }
            open = true;
            begin_line = lineno;
            found = Block{};
            found->begin = pos;
            found->body_begin = next;
        } else if (content == end) {
            if (!open) {
                throw CorruptBlock("line " + std::to_string(lineno) + " is '" + end +
                                       "' without a '" + begin +
                                       "' before it; vzlvs will not guess which lines are its "
                                       "own: fix or delete the block by hand",
                                   lineno);
            }
            open = false;
            found->body_end = pos;
            found->end = next;
            found->end_has_newline = nl != std::string::npos;
        }
        pos = next;
    }
    if (open) {
        throw CorruptBlock("line " + std::to_string(begin_line) + " is '" + begin + "' but no '" +
                               end +
                               "' line follows; vzlvs will not guess which lines are its own: "
                               "fix or delete the block by hand",
                           begin_line);
    }
    return found;
}

std::string normalise_body(const std::string& body, const std::string& id) {
    std::string out = body;
    if (!out.empty() && out.back() != '\n') out += '\n';
    // A marker inside the body would make the next read see a corrupt or different block.
    const std::string begin = block_begin(id);
    const std::string end = block_end(id);
    std::size_t pos = 0;
    while (pos < out.size()) {
        std::size_t next = out.find('\n', pos) + 1;
        std::string_view content = line_content(std::string_view(out).substr(pos, next - pos));
        if (content == begin || content == end) {
            throw Error("the body for vzlvs block '" + id + "' contains its own marker line '" +
                        std::string(content) + "'; this is a bug in the caller");
        }
        pos = next;
    }
    return out;
}

std::string with_file(const CorruptBlock& e, const fs::path& path) {
    return "corrupt vzlvs block in " + path.string() + ", " + e.what();
}

// Owner and mode to carry over to the replacement of an existing file.
struct Existing {
    uid_t uid;
    gid_t gid;
    mode_t mode;
};

std::optional<Existing> existing_file(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return std::nullopt;
        throw Error("cannot stat " + path.string() + ": " + errno_text(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        throw Error("cannot write " + path.string() +
                    ": it exists and is not a regular file; move it away first");
    }
    return Existing{st.st_uid, st.st_gid, static_cast<mode_t>(st.st_mode & 07777)};
}

void write_replacing(const fs::path& path, const std::string& content, mode_t mode) {
    // Replace what a symlink points to, not the link: users link configs into place.
    fs::path target = path;
    std::error_code ec;
    if (fs::is_symlink(path, ec)) {
        target = fs::canonical(path, ec);
        if (ec) {
            throw Error("cannot write " + path.string() +
                        ": it is a symlink that cannot be "
                        "resolved (" +
                        ec.message() + "); fix or remove the link");
        }
    }
    std::optional<Existing> old = existing_file(target);

    const fs::path tmp = target.string() + ".vzlvs-tmp";
    const std::string where = target.string() + " (via " + tmp.string() + ")";
    // A temp file left by a crash must not block us forever, and O_EXCL below guarantees we
    // never write through a symlink someone planted under the temp name.
    struct stat stale {};
    if (::lstat(tmp.c_str(), &stale) == 0 && ::unlink(tmp.c_str()) != 0 && errno != ENOENT) {
        throw Error("cannot remove stale " + tmp.string() + ": " + errno_text(errno));
    }
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0) {
        throw Error("cannot create " + tmp.string() + " to write " + target.string() + ": " +
                    errno_text(errno) + "; check that the directory exists and is writable");
    }
    auto fail = [&](const std::string& step) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw Error("cannot write " + where + ": " + step + ": " + errno_text(err));
    };
    if (::fchmod(fd.get(), mode & 07777) != 0) fail("fchmod");
    if (old && ::fchown(fd.get(), old->uid, old->gid) != 0) fail("fchown to the old owner");
    const char* data = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        ssize_t n = ::write(fd.get(), data, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write");
        }
        data += n;
        left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) fail("fsync");
    if (fd.close() != 0) fail("close");
    if (::rename(tmp.c_str(), target.c_str()) != 0) fail("rename over " + target.string());
    fsync_dir(parent_or_dot(target), target);
}

void remove_file(const fs::path& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        throw Error("cannot delete " + path.string() + ": " + errno_text(errno));
    }
    fsync_dir(parent_or_dot(path), path);
}

}  // namespace

std::optional<std::string> read_file(const fs::path& path) {
    // Non-blocking, so that a FIFO or a device put where a file belongs is refused, not waited
    // on forever; nothing else is read here, so the flag never matters after the check.
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (fd.get() < 0) {
        if (errno == ENOENT) return std::nullopt;
        throw Error("cannot open " + path.string() + " for reading: " + errno_text(errno));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        throw Error("cannot stat " + path.string() + ": " + errno_text(errno));
    if (!S_ISREG(st.st_mode))
        throw Error("cannot read " + path.string() + ": it is " +
                    (S_ISFIFO(st.st_mode)  ? "a FIFO"
                     : S_ISDIR(st.st_mode) ? "a directory"
                                           : "not a regular file") +
                    ", not a regular file; move it away");
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error("cannot read " + path.string() + ": " + errno_text(errno));
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

ReadBeneath read_beneath(const fs::path& root, const fs::path& rel, std::size_t max,
                         std::optional<long> fs_magic) {
    Fd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0) {
        ReadBeneath r;
        r.result = ReadBeneath::Result::refused;
        r.why = root.string() + ": cannot open it: " + errno_text(errno);
        return r;
    }
    return read_beneath(dir.get(), root.string(), rel, max, fs_magic);
}

ReadBeneath read_beneath(int root_fd, const std::string& root_name, const fs::path& rel,
                         std::size_t max, std::optional<long> fs_magic) {
    ReadBeneath r;
    auto refuse = [&](const std::string& why) {
        r.result = ReadBeneath::Result::refused;
        r.why = (fs::path(root_name) / rel.relative_path()).string() + ": " + why;
        return r;
    };
    Fd dir(-1);  // the walk's current directory once below root_fd, which stays the caller's
    auto here = [&] { return dir.get() >= 0 ? dir.get() : root_fd; };
    std::vector<std::string> parts;
    for (const auto& p : rel.relative_path()) {
        const std::string s = p.string();
        if (s.empty() || s == ".") continue;
        if (s == "..") return refuse("a path with .. is not walked");
        parts.push_back(s);
    }
    if (parts.empty()) return refuse("no file named");
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        const int next =
            ::openat(here(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT) return r;  // missing
        if (next < 0)
            return refuse(parts[i] + " is not a plain directory (" + errno_text(errno) + ")");
        dir.reset(next);
    }
    Fd f(::openat(here(), parts.back().c_str(),
                  O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (f.get() < 0 && errno == ENOENT) return r;
    if (f.get() < 0)
        return refuse("cannot open it without following a link (" + errno_text(errno) + ")");
    struct stat st {};
    if (::fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode)) return refuse("not a regular file");
    struct statfs sfs {};
    if (fs_magic && (::fstatfs(f.get(), &sfs) != 0 || static_cast<long>(sfs.f_type) != *fs_magic))
        return refuse("not on the filesystem expected there");
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(f.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return refuse("cannot read it: " + errno_text(errno));
        if (n == 0) break;
        r.text.append(buf, static_cast<std::size_t>(n));
        if (r.text.size() > max) return refuse("larger than " + std::to_string(max) + " bytes");
    }
    r.result = ReadBeneath::Result::read;
    return r;
}

void atomic_write(const fs::path& path, const std::string& content, mode_t mode) {
    write_replacing(path, content, mode);
}

std::string block_begin(const std::string& id) { return "# BEGIN vzlvs " + id; }
std::string block_end(const std::string& id) { return "# END vzlvs " + id; }

std::optional<std::string> find_block(const std::string& text, const std::string& id) {
    std::optional<Block> b = locate(text, id);
    if (!b) return std::nullopt;
    return text.substr(b->body_begin, b->body_end - b->body_begin);
}

std::string upsert_block(const std::string& text, const std::string& id, const std::string& body,
                         Placement where) {
    std::optional<Block> b = locate(text, id);
    std::string norm = normalise_body(body, id);
    if (b) return text.substr(0, b->body_begin) + norm + text.substr(b->body_end);

    std::string block = block_begin(id) + "\n" + norm + block_end(id);
    if (where == Placement::top) {
        // Between whole lines, so removing the block gives the text back byte for byte. A
        // file that is only a `#!` line without a newline falls through to the end.
        std::size_t at = 0;
        if (text.rfind("#!", 0) == 0)
            at = text.find('\n') == std::string::npos ? std::string::npos : text.find('\n') + 1;
        if (at != std::string::npos) return text.substr(0, at) + block + "\n" + text.substr(at);
    }
    if (text.empty()) return block + "\n";
    if (text.back() == '\n') return text + block + "\n";
    // See files.hpp: the END line without "\n" records that the "\n" before BEGIN is ours.
    return text + "\n" + block;
}

std::string remove_block(const std::string& text, const std::string& id) {
    std::optional<Block> b = locate(text, id);
    if (!b) return text;
    std::size_t from = b->begin;
    if (!b->end_has_newline && from > 0 && text[from - 1] == '\n') --from;
    return text.substr(0, from) + text.substr(b->end);
}

bool ensure_block_in_file(const fs::path& path, const std::string& id, const std::string& body,
                          mode_t mode, const std::string& header, Placement where) {
    std::optional<std::string> old = read_file(path);
    std::string updated;
    try {
        updated = upsert_block(old ? *old : header, id, body, where);
    } catch (const CorruptBlock& e) {
        throw CorruptBlock(with_file(e, path), e.line());
    }
    if (old && *old == updated) return false;
    if (old) {
        std::optional<Existing> st = existing_file(path);
        if (st) mode = st->mode;
    }
    write_replacing(path, updated, mode);
    return true;
}

bool remove_block_from_file(const fs::path& path, const std::string& id,
                            const std::string& header) {
    std::optional<std::string> old = read_file(path);
    if (!old) return false;
    std::string updated;
    try {
        updated = remove_block(*old, id);
    } catch (const CorruptBlock& e) {
        throw CorruptBlock(with_file(e, path), e.line());
    }
    if (updated == *old) return false;
    if (updated.empty() || updated == header) {
        remove_file(path);
        return true;
    }
    std::optional<Existing> st = existing_file(path);
    write_replacing(path, updated, st ? st->mode : 0644);
    return true;
}

}  // namespace vzlvs
