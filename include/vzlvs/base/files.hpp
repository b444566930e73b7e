// Files vzlvs writes: atomic (temp + fsync + rename), explicit mode, and edits confined to
// one marked block so a user's own lines are never lost.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "vzlvs/base/error.hpp"

namespace vzlvs {

// nullopt: absent. Anything but a regular file (a FIFO, a directory, a device) is an Error at
// once, never a wait: a file vzlvs reads may have been replaced by anyone with root on the node.
std::optional<std::string> read_file(const std::filesystem::path& path);

// A file inside a root vzlvs does not trust (a container's, from the host): `rel` is walked
// from `root` one component at a time and no symlink is followed, so the file cannot lead
// out of the root; a FIFO or device is not opened for reading, and at most `max` bytes are.
struct ReadBeneath {
    enum class Result { read, missing, refused };
    Result result = Result::missing;
    std::string text;  // read: the file's content
    std::string why;   // refused: a symlink, not a regular file, larger than max, unreadable
};
// fs_magic: the file must be on a filesystem of this statfs type (PROC_SUPER_MAGIC for a
// container's /proc/sys), else it is refused.
ReadBeneath read_beneath(const std::filesystem::path& root, const std::filesystem::path& rel,
                         std::size_t max, std::optional<long> fs_magic = std::nullopt);
// The same from a root the caller has open (and keeps), for many reads under one root.
ReadBeneath read_beneath(int root_fd, const std::string& root_name,
                         const std::filesystem::path& rel, std::size_t max,
                         std::optional<long> fs_magic = std::nullopt);

// Writes via <path>.vzlvs-tmp, fchmod(mode), fsync, rename, fsync of the directory. When
// <path> already exists its owner is kept (rename would otherwise hand it to root); when it is
// a symlink, the file it points to is replaced. On failure the temp file is removed.
void atomic_write(const std::filesystem::path& path, const std::string& content, mode_t mode);

// A BEGIN marker without its END (or an END without a BEGIN, or a second BEGIN): vzlvs will not
// guess which lines are its own. `line` is 1-based.
class CorruptBlock : public Error {
  public:
    CorruptBlock(const std::string& what, std::size_t line) : Error(what), line_(line) {}
    std::size_t line() const { return line_; }

  private:
    std::size_t line_;
};

// The block is delimited by "# BEGIN vzlvs <id>" and "# END vzlvs <id>" lines. A line is a
// marker only when it is exactly that text (a trailing "\r" is tolerated for CRLF files);
// indented or longer look-alikes are the user's.
//
// Layout rules, chosen so that remove_block(upsert_block(t, id, b), id) == t for every t
// without that block:
// - the body is stored as whole lines: a non-empty body lacking a final "\n" gets one;
// - a new block is appended at the end. If t is non-empty and lacks a final newline, a "\n"
//   is added after the user's last line and the END line is written WITHOUT its newline;
//   remove_block recognises that shape (an END line ending the text with no newline) and
//   takes the added "\n" away again.
std::string block_begin(const std::string& id);
std::string block_end(const std::string& id);
// The current block body (without the marker lines), nullopt when there is none.
// Throws CorruptBlock.
std::optional<std::string> find_block(const std::string& text, const std::string& id);
// Text with the block set to body: replaced in place if present (marker lines kept as they
// are), else appended at the end (so a `#!` first line stays first). Every line outside the
// block is kept byte for byte. Throws CorruptBlock.
// Where a new block goes. `top`: first in the file, after a leading `#!` line — for scripts,
// whose own lines may end in `exit 0` before anything appended could run.
enum class Placement { end, top };
std::string upsert_block(const std::string& text, const std::string& id, const std::string& body,
                         Placement where = Placement::end);
// Text without the block; everything else byte for byte. Throws CorruptBlock.
std::string remove_block(const std::string& text, const std::string& id);

// Applies upsert/remove to a file. Returns true if the file changed. A new file gets `mode`
// and starts with `header` (e.g. "#!/bin/bash\n" for a hook script); an existing file keeps
// its own mode, owner and header. When `remove` leaves nothing but `header` (or nothing at
// all), the file is deleted. CorruptBlock messages name the file and the line.
bool ensure_block_in_file(const std::filesystem::path& path, const std::string& id,
                          const std::string& body, mode_t mode, const std::string& header = "",
                          Placement where = Placement::end);
bool remove_block_from_file(const std::filesystem::path& path, const std::string& id,
                            const std::string& header = "");

}  // namespace vzlvs
