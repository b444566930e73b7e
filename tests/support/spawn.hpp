// Starting the real servers tests run (test-director, etcd, keepalived): a child that dies with
// the test process even when the test crashes, with its output where the caller says.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace vzlvs::test {

// Runs argv (no shell) with stdin from /dev/null; out_fd (-1: /dev/null) as stdout and err_fd
// (-1: stdout's) as stderr. Throws std::runtime_error when it cannot fork.
pid_t spawn_child(const std::vector<std::string>& argv, int out_fd = -1, int err_fd = -1);
// Waits for pid (through EINTR); returns its wait status.
int reap_child(pid_t pid);
// A file opened for appending (0600), for a child's log; -1 when it cannot be opened.
int open_log(const std::string& path);

}  // namespace vzlvs::test
