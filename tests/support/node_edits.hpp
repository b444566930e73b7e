// Editing a provisioned stand-in node from a test, and the node the check and report tests
// start from: both CTs running, bootstrapped, provisioned and registered.
#pragma once

#include <string>
#include <vector>

#include "support/vzlvs_node.hpp"

namespace vzlvs::test {

// argv and what it gave, for a failure message.
std::string describe(const std::vector<std::string>& argv, const RunResult& r);
// argv on the test host (outside the node namespace); throws unless it exits 0.
std::string host_ok(const std::vector<std::string>& argv);
// argv inside a running CT's network namespace (its /proc/sys/net is the CT's).
void in_ct(VzlvsNode& n, const std::string& ctid, std::vector<std::string> argv);
// argv inside the node namespace; throws unless it exits 0.
void on_node(VzlvsNode& n, const std::vector<std::string>& argv);
void write_file(const std::string& path, const std::string& text);
// Replaces the line starting with KEY= in a file (a CT config); throws when there is none.
void replace_line(VzlvsNode& n, const std::string& path, const std::string& key,
                  const std::string& line);
// Drops the lines from "# BEGIN vzlvs lvs-tun" to "# END vzlvs lvs-tun", or puts `extra`
// before the END line (an outdated block); throws when there is no block.
void edit_block(VzlvsNode& n, const std::string& path, bool remove, const std::string& extra = {});
// The ID of the only backend of a service at the test director.
std::string backend_of(VzlvsNode& n, const std::string& service);
void director_ok(VzlvsNode& n, const std::string& method, const std::string& path,
                 const std::string& body = {});
std::vector<std::string> words(const std::string& s);
// The failures this bench always has with CTs 101 and 102 running (no ipip in the kernel).
std::vector<ExpectedFailure> bench_failures(bool ct101 = true, bool ct102 = true);
// The node every case starts from: both CTs running, bootstrapped, provisioned, registered,
// hook workers finished. ASSERTs inside: call through ASSERT_NO_FATAL_FAILURE.
void provision_both(VzlvsNode& n);
// What every check run must satisfy, whatever it found.
void expect_check_report(const CliResult& c);

}  // namespace vzlvs::test
