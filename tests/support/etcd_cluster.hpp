// A real etcd (Debian's etcd-server) for tests: one member or a cluster of several on loopback,
// each with its own data directory under a scratch directory, killed and reaped however the
// test ends. Tests skip when /usr/bin/etcd is not installed (scripts/install-deps installs it).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/director_server.hpp"
#include "vzlvs/config/config.hpp"
#include "vzlvs/director/director.hpp"

namespace vzlvs::test {

bool etcd_installed();

// The service both sides' etcd tests register in: web, 192.0.2.10:80/tcp.
ServiceSpec etcd_test_service();

// A node's config for api = etcd (node `name`, its state_dir, the lease's TTL), as the tests
// of both sides register with.
Config etcd_node_config(const std::vector<std::string>& endpoints, const std::string& state_dir,
                        const std::string& name = "node1",
                        std::chrono::seconds lease_ttl = std::chrono::seconds(10));

class EtcdCluster {
  public:
    // Starts `members` members and waits until every one serves requests (a cluster also
    // has a leader then). netns: the named network namespace they run in (a stand-in node's,
    // so that vzlvs there reaches them on its loopback); empty: this one.
    explicit EtcdCluster(int members = 1, const std::string& netns = "");
    ~EtcdCluster();
    EtcdCluster(const EtcdCluster&) = delete;
    EtcdCluster& operator=(const EtcdCluster&) = delete;

    std::vector<std::string> endpoints() const;  // http://127.0.0.1:PORT, one per member
    std::string endpoint(int member) const;
    // SIGKILL, as a crashed member: its clients see connections refused.
    void kill(int member);
    // Runs etcdctl against the cluster (no shell); returns its stdout, throws unless it exits 0.
    std::string etcdctl(const std::vector<std::string>& args) const;

  private:
    struct Member {
        std::string name;
        int client_port = 0, peer_port = 0;
        pid_t pid = -1;
    };
    void wait_ready(const Member& m) const;
    std::vector<std::string> in_netns(std::vector<std::string> argv) const;
    // Runs argv (in the netns); returns its exit status and stdout.
    int run(const std::vector<std::string>& argv, std::string* out) const;

    std::string netns_;
    ScratchDir dir_;  // logs
    // The members' data: in memory (/dev/shm), as etcd fsyncs every write and a test is not
    // about the disk.
    ScratchDir data_{"/dev/shm"};
    std::vector<Member> members_;
};

}  // namespace vzlvs::test
