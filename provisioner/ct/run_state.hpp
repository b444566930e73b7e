// Which containers run, read from where the kernel and vzctl record it, so that a run over N
// containers needs no `vzctl status` per CT (a process, and vzctl's own start-up, each):
// - legacy OpenVZ (vzctl 4): /proc/vz/veinfo, one "VEID CLASS NPROC [IP...]" line per running
//   CT, VEID 0 the node itself. vzlist reads running CTs from it (vzctl 4 src/vzlist.c
//   get_run_ve_proc); `vzctl status` asks the kernel's VE_TEST ioctl, which answers from the
//   same list of live environments (src/lib/hooks_vz.c vz_is_run).
// - OpenVZ 7 (libvzctl 7, vz7-u22): the CT's ve cgroup, /sys/fs/cgroup/ve/<ID>/ve.state; no
//   file, or STOPPED, is a stopped CT (lib/cgroup.c cg_env_get_ve_state, which
//   lib/env_nsops.c ns_is_env_run is). Its init's pid is in /var/run/ve/<ID>.init.pid
//   (lib/common.c get_init_pidfile), trusted only when /proc/PID/status says envID <ID>
//   (lib/cgroup.c cg_env_get_init_pid).
// Paths are taken under `root`: "/" on a node, a directory on a test node (runtime_root in
// [node]). Every file is read bounded and parsed strictly; what cannot be read says so
// (nullopt) and the caller asks vzctl instead.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <set>
#include <string>

namespace vzlvs {

// The VEIDs /proc/vz/veinfo lists (0 left out); nullopt when the file is not there (not an
// OpenVZ kernel) or does not parse.
std::optional<std::set<std::string>> read_veinfo(const std::filesystem::path& root);
// Parses veinfo's text; nullopt when a line is not "VEID CLASS NPROC [IP...]".
std::optional<std::set<std::string>> parse_veinfo(const std::string& text);

// OpenVZ 7: whether CT `id` runs; nullopt when this node has no ve cgroup hierarchy.
std::optional<bool> ve_state_running(const std::filesystem::path& root, const std::string& id);

// OpenVZ 7: the pid of CT `id`'s init, from its pid file, checked against the process's
// envID where the kernel shows one (an OpenVZ kernel prints envID for every process; on a
// kernel without it — a test node — the pid file is all there is). nullopt when there is no
// file, it does not hold one number, the process is gone, or its envID is another CT's.
std::optional<pid_t> ct_init_pid(const std::filesystem::path& root, const std::string& id);
// The envID line of a /proc/PID/status text: "" when there is none.
std::string status_env_id(const std::string& status_text);

}  // namespace vzlvs
