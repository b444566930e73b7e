// Real network namespaces for integration tests: created with `ip netns add`, removed in the
// destructor (also when the test fails), with unique names so parallel runs never collide.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "vzlvs/base/process.hpp"

namespace vzlvs::test {

// "vzt-<pid>-<n>": unique within this process and across concurrent test processes.
std::string unique_netns_name();

class Netns {
  public:
    // A fresh namespace with a unique name and lo up. Throws (with ip's stderr) on failure.
    Netns();
    ~Netns();
    Netns(const Netns&) = delete;
    Netns& operator=(const Netns&) = delete;

    const std::string& name() const { return name_; }
    // /run/netns/NAME: what make_netlink(), in_netns() and the watcher take.
    std::string path() const { return "/run/netns/" + name_; }

    // `ip netns exec NAME argv...` — any program, run inside the namespace.
    RunResult exec(const std::vector<std::string>& argv) const;
    // `ip -n NAME args...` — e.g. ip({"route", "add", "192.0.2.10", "dev", "v0"}).
    RunResult ip(const std::vector<std::string>& args) const;
    // The same, throwing vzlvs::Error with the command and its stderr when it fails.
    std::string exec_ok(const std::vector<std::string>& argv) const;
    std::string ip_ok(const std::vector<std::string>& args) const;

    // A veth pair with both ends here, both up.
    void add_veth(const std::string& dev, const std::string& peer) const;

  private:
    std::string name_;
    std::unique_ptr<ProcessRunner> runner_;
};

// A veth pair from a (dev_a) to b (dev_b), both ends up.
void connect_veth(const Netns& a, const std::string& dev_a, const Netns& b,
                  const std::string& dev_b);

// Runs argv (no namespace) and throws with its stderr on failure; for `ip netns list` etc.
std::string run_ok(const std::vector<std::string>& argv);

// A fixture whose every test checks that its namespaces are gone, even after a failure
// inside the body.
class NoNamespaceLeftBehind : public ::testing::Test {
  protected:
    void TearDown() override;
};

}  // namespace vzlvs::test
