// Running a piece of work detached from the caller: the caller (vzctl running a hook) must
// neither wait for it nor take it down when it exits.
#pragma once

#include <functional>

namespace vzlvs {

// Forks a grandchild in its own session with stdin/stdout/stderr on /dev/null and no fd of
// the caller's left open but `keep_fd` (moved to fd 3; -1: none), runs `body` there and
// _exits with its result. Returns once the intermediate child is reaped; throws Error when
// fork fails.
void run_detached(int keep_fd, const std::function<int()>& body);

// The fd run_detached() gives `keep_fd` in the detached process.
constexpr int kDetachedKeptFd = 3;

}  // namespace vzlvs
