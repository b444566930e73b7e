// Turns the model's data-plane changes into ipvsadm argv, so a director on a real LVS host
// (the VM end-to-end run) programs IPVS the same way gorb would over netlink.
#pragma once

#include <string>
#include <vector>

#include "gorb_model.hpp"

namespace testdirector {

std::vector<std::string> ipvsadm_argv(const std::string& ipvsadm, const IpvsChange& change);

// Runs argv (no shell); throws std::runtime_error with ipvsadm's stderr when it fails.
void run_argv(const std::vector<std::string>& argv);

std::string join_argv(const std::vector<std::string>& argv);

}  // namespace testdirector
