// The watch tests' node: CT 101 provisioned and registered at a test director (reached from
// the node namespace through a relay), and `vzlvs watch` started on it in the background.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/director_server.hpp"
#include "support/standin.hpp"
#include "support/watch_process.hpp"

namespace vzlvs::watch_test {

using namespace std::chrono_literals;
using test::DirectorServer;
using test::kExitWait;
using test::kRepairWait;
using test::NsRelay;
using test::ScratchDir;
using test::StandinNode;
using test::WatchProcess;

inline const std::string kCt = "101";
inline const std::string kCtIp = "10.1.0.5";
inline const std::string kVip = "192.0.2.10";
inline const std::string kBackend = "wnode-101-web";

// ---- the fixture: a provisioned, registered CT 101 ------------------------------------------

class WatchTest : public ::testing::Test {
  protected:
    void SetUp() override {
        relay_ = std::make_unique<NsRelay>(node_.node_netns(), director_.port());
        node_.create_ct(kCt, {kCtIp});
        ASSERT_TRUE(node_.vzctl_run({"start", kCt}).ok());
        config_ = dir_.path() + "/vzlvs.conf";
        std::ofstream(config_) << "[node]\n"
                               << "name = wnode\n"
                               << "vzctl = " << node_.vzctl() << "\n"
                               << "vz_conf_dir = " << node_.conf_dir() << "\n"
                               << "state_dir = " << dir_.path() << "/state\n"
                               << "restart = auto\n"
                               << "uplinks = eth0\n"
                               << "modules_persist = none\n"
                               << "sysctl_dir = " << dir_.path() << "/sysctl\n"
                               << "[director]\n"
                               << "url = " << director_.url() << "\n"
                               << "drain = 1s\n"
                               << "[service web]\n"
                               << "vip = " << kVip << "\n"
                               << "port = 80\n"
                               << "check = none\n"
                               << "[container " << kCt << "]\n"
                               << "services = web\n";
        RunResult r = node_.run({VZLVS_BINARY, "-c", config_, "--json", "provision"});
        const auto report = nlohmann::json::parse(r.out);
        for (const auto& o : report["outcomes"]) {
            // The stand-in kernel has no ipip: its tunl0 is a stand-in device.
            if (o["status"] == "failed") {
                ASSERT_EQ(o["name"], "tunl0 is an ipip device") << r.out;
            }
        }
        // The restart ran the mount hook, whose worker ends once it has registered the CT.
        RunOptions wait;
        wait.timeout = 180s;
        ASSERT_TRUE(
            node_.run({"flock", dir_.path() + "/state/workers/" + kCt + ".lock", "true"}, wait)
                .ok());
        ASSERT_TRUE(registered()) << "provision did not register the backend";
        ASSERT_TRUE(route_gone());
    }

    std::unique_ptr<WatchProcess> watch(const std::string& interval,
                                        std::vector<std::string> wrap = {}) {
        auto w = std::make_unique<WatchProcess>(node_, config_, interval, std::move(wrap));
        // Logged once the first pass is over and the subscription is live.
        EXPECT_GE(w->wait_line("info: subscribed to route and neighbour events"), 0) << w->log();
        return w;
    }

    std::string node(const std::vector<std::string>& argv) {
        RunResult r = node_.run(argv);
        EXPECT_TRUE(r.ok()) << argv[0] << " failed: " << r.err;
        return r.out;
    }
    std::string ct(const std::vector<std::string>& argv) {
        std::vector<std::string> full{"ip", "netns", "exec", node_.ct_netns_name(kCt)};
        full.insert(full.end(), argv.begin(), argv.end());
        RunResult r = runner_->run(full);
        EXPECT_TRUE(r.ok()) << argv[0] << " in the CT failed: " << r.err;
        return r.out;
    }
    bool route_gone() {
        return node({"ip", "route", "show", "table", "all", kVip}).find("venet0") ==
               std::string::npos;
    }
    bool proxy_gone() { return node({"ip", "neigh", "show", "proxy", kVip}).empty(); }
    bool registered() {
        std::string body;
        if (director_.call("GET", "/service/web/" + kBackend, {}, &body) != 200) return false;
        return nlohmann::json::parse(body)["options"]["method"] == "tunnel";
    }

    ScratchDir dir_;
    DirectorServer director_;
    StandinNode node_;
    std::unique_ptr<NsRelay> relay_;
    std::unique_ptr<ProcessRunner> runner_ = make_process_runner();
    std::string config_;
};

}  // namespace vzlvs::watch_test
