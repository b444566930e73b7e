// `vzlvs director`'s sync against a real etcd and a real keepalived (VRRP-only on this kernel,
// which has no IPVS: tests/support/keepalived_process.hpp), fed by the node side's etcd dialect.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "support/etcd_cluster.hpp"
#include "support/keepalived_process.hpp"
#include "vzlvs/base/files.hpp"
#include "vzlvs/director/director.hpp"
#include "vzlvs/director/etcd.hpp"
#include "vzlvs/director_host/keepalived.hpp"
#include "vzlvs/director_host/sync.hpp"

namespace vzlvs {
namespace {

using namespace std::chrono_literals;
using test::EtcdCluster;
using test::KeepalivedProcess;

#define SKIP_WITHOUT_SERVERS()                                    \
    if (!test::etcd_installed() || !test::keepalived_installed()) \
    GTEST_SKIP() << "etcd-server or keepalived is not installed (scripts/install-deps)"

Config node_config(const EtcdCluster& etcd, const std::string& state_dir,
                   const std::string& name = "node1", std::chrono::seconds ttl = 10s) {
    return test::etcd_node_config(etcd.endpoints(), state_dir, name, ttl);
}

Config director_config(const EtcdCluster& etcd, const KeepalivedProcess& k,
                       const std::string& name) {
    Config c = node_config(etcd, "/nonexistent", name);
    c.director_host.present = true;
    c.director_host.name = name;
    c.director_host.keepalived_conf = k.include_file();
    c.director_host.keepalived_pid_file = k.pid_file();
    c.director_host.settle = 200ms;
    c.director_host.min_reload_interval = 500ms;
    return c;
}

ServiceSpec web() { return test::etcd_test_service(); }

BackendSpec backend(int ct, int weight = 1) {
    BackendSpec b;
    b.service_id = "web";
    b.id = "node1-" + std::to_string(ct) + "-web";
    b.host = "10.0.0." + std::to_string(ct % 250 + 1);
    b.port = 80;
    b.weight = weight;
    b.node = "node1";
    b.ct = std::to_string(ct);
    return b;
}

std::string file(const std::string& path) { return read_file(path).value_or(""); }

// A director's sync on a thread of its own, stopped and joined however the test ends.
struct Running {
    Config cfg;
    EtcdClient etcd;
    KeepalivedApply apply;
    DirectorSync sync;
    std::atomic<bool> stop{false};
    std::thread t;
    explicit Running(Config c)
        : cfg(std::move(c)),
          etcd(etcd_settings(cfg.director)),
          apply(cfg.director_host.keepalived_conf, cfg.director_host.keepalived_pid_file,
                cfg.director_host.min_reload_interval),
          sync(cfg, etcd, apply),
          t([this] { sync.run([this] { return stop.load(); }); }) {}
    ~Running() {
        stop = true;
        t.join();
    }
};

// The node sees the backend applied, on dir1 (not just "no director runs").
bool applied_on_dir1(Director& node, const BackendSpec& b) {
    const BackendDiff d = node.diff(b);
    return d.kind == DiffKind::ok && d.detail.find("dir1") != std::string::npos;
}

// Awaits a condition the director brings about, re-evaluating it for at most `timeout`.
template <typename F>
bool eventually(F f, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!f()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

TEST(DirectorHost, RendersWhatKeepalivedAccepts) {
    if (!test::keepalived_installed()) GTEST_SKIP() << "keepalived is not installed";
    test::ScratchDir dir;
    KeepalivedProcess k(dir.path());
    Fleet f;
    f.services["web"].service = {"192.0.2.10", 80, "tcp", "wrr", "tunnel"};
    f.services["dns"].service = {"192.0.2.11", 53, "udp", "rr", "tunnel"};
    f.services["empty"].service = {"192.0.2.12", 80, "tcp", "wlc", "tunnel"};
    StoredBackend a;
    a.host = "10.0.0.1";
    a.port = 80;
    a.weight = 3;
    StoredBackend b = a;
    b.host = "10.0.0.2";
    b.state = "draining";
    b.check.type = "http";
    b.check.path = "/health";
    b.check.expect = 204;
    StoredBackend c = a;
    c.host = "10.0.0.3";
    c.check.type = "none";
    f.services["web"].backends = {{"n-1-web", a}, {"n-2-web", b}, {"n-3-web", c}};
    StoredBackend d = a;
    d.port = 53;
    f.services["dns"].backends = {{"n-1-dns", d}};
    const std::string text = render_keepalived(f);
    atomic_write(k.include_file(), text, 0644);
    EXPECT_EQ(k.config_test(), "") << text;
    EXPECT_NE(text.find("lb_kind TUN"), std::string::npos);
    EXPECT_NE(text.find("real_server 10.0.0.2 80 {\n        weight 0\n        HTTP_GET"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("192.0.2.12"), std::string::npos) << "no real server: not rendered";
    EXPECT_EQ(render_keepalived(f), text) << "the same fleet, the same bytes";
}

TEST(DirectorHost, AppliesRegistrationsAndAcknowledgesThemOnce) {
    SKIP_WITHOUT_SERVERS();
    EtcdCluster etcd;
    test::ScratchDir dir, state;
    KeepalivedProcess k(dir.path());
    const Config dc = director_config(etcd, k, "dir1");
    EtcdClient client(etcd_settings(dc.director));
    KeepalivedApply apply(k.include_file(), k.pid_file(), 0ms);
    DirectorSync sync(dc, client, apply);

    auto node = make_director(node_config(etcd, state.path()));
    node->ensure_service(web());
    node->ensure_backend(backend(101));
    node->ensure_backend(backend(102, 5));

    DirectorSync::Converged c = sync.converge();
    EXPECT_TRUE(c.applied);
    EXPECT_TRUE(c.reloaded);
    EXPECT_EQ(c.writes, 2u);
    ASSERT_TRUE(k.wait_reloads(1));
    const std::string text = file(k.include_file());
    EXPECT_NE(text.find("real_server 10.0.0.102 80 {\n        weight 1\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("real_server 10.0.0.103 80 {\n        weight 5\n"), std::string::npos);
    EXPECT_EQ(k.config_test(), "");
    const BackendDiff d = node->diff(backend(102, 5));
    EXPECT_EQ(d.kind, DiffKind::ok);
    EXPECT_EQ(d.detail, "weight 5 on dir1");

    // Nothing changed: no reload, no write.
    c = sync.converge();
    EXPECT_FALSE(c.reloaded);
    EXPECT_EQ(c.writes, 0u);
    EXPECT_EQ(k.reloads(), 1);
}

TEST(DirectorHost, ABurstIsOneReloadAndADeregisterWaitsForTheDirectorsZero) {
    SKIP_WITHOUT_SERVERS();
    EtcdCluster etcd;
    test::ScratchDir d1, d2, state;
    KeepalivedProcess k1(d1.path()), k2(d2.path());
    auto node = make_director(node_config(etcd, state.path()));
    node->ensure_service(web());
    Running dir1(director_config(etcd, k1, "dir1")), dir2(director_config(etcd, k2, "dir2"));
    // Both are announced before the burst: the node's diff names them.
    EtcdClient client(etcd_settings(dir1.cfg.director));
    ASSERT_TRUE(eventually(
        [&] { return client.get_prefix(EtcdKeys{}.directors(), true).kvs.size() == 2; }));
    const int before1 = k1.reloads(), before2 = k2.reloads();

    for (int ct = 101; ct < 131; ++ct) node->ensure_backend(backend(ct));
    ASSERT_TRUE(eventually([&] { return node->diff(backend(130)).kind == DiffKind::ok; }))
        << node->diff(backend(130)).detail;
    for (int ct = 101; ct < 131; ++ct) EXPECT_EQ(node->diff(backend(ct)).kind, DiffKind::ok);
    // 30 registrations in a burst: one reload each (two if the burst straddled a window).
    EXPECT_LE(k1.reloads() - before1, 2);
    EXPECT_LE(k2.reloads() - before2, 2);
    EXPECT_GE(k1.reloads() - before1, 1);

    // Deregister: weight 0, confirmed on both directors, then removed from both.
    const auto how = drain_and_remove(*node, backend(101), 10s);
    ASSERT_TRUE(how);
    EXPECT_NE(how->find("weight 0 on dir1, dir2"), std::string::npos) << *how;
    ASSERT_TRUE(eventually([&] {
        return file(k1.include_file()).find("10.0.0.102 ") == std::string::npos &&
               file(k2.include_file()).find("10.0.0.102 ") == std::string::npos;
    }));
}

TEST(DirectorHost, ANodeWhoseLeaseLapsesLeavesEveryDirector) {
    SKIP_WITHOUT_SERVERS();
    EtcdCluster etcd;
    test::ScratchDir dir, state;
    KeepalivedProcess k(dir.path());
    auto node = make_director(node_config(etcd, state.path(), "node1", 2s));
    node->ensure_service(web());
    node->ensure_backend(backend(101));
    Running dir1(director_config(etcd, k, "dir1"));
    ASSERT_TRUE(eventually([&] { return applied_on_dir1(*node, backend(101)); }));
    const auto since = std::chrono::steady_clock::now();
    // Nobody renews the node's lease (its watch is dead): gone within lease_ttl + 2 s.
    ASSERT_TRUE(eventually(
        [&] { return file(k.include_file()).find("10.0.0.102") == std::string::npos; }, 6s));
    EXPECT_LT(std::chrono::steady_clock::now() - since, 4s);
}

TEST(DirectorHost, KeepsWhatItAppliedWhileEtcdIsGone) {
    SKIP_WITHOUT_SERVERS();
    test::ScratchDir dir, state;
    KeepalivedProcess k(dir.path());
    auto etcd = std::make_unique<EtcdCluster>();
    auto node = make_director(node_config(*etcd, state.path()));
    node->ensure_service(web());
    node->ensure_backend(backend(101));
    Running dir1(director_config(*etcd, k, "dir1"));
    ASSERT_TRUE(eventually([&] { return applied_on_dir1(*node, backend(101)); }));
    const std::string applied = file(k.include_file());
    const int reloads = k.reloads();
    etcd.reset();                     // the whole store is gone
    std::this_thread::sleep_for(2s);  // what is asserted is that nothing happens meanwhile
    EXPECT_EQ(file(k.include_file()), applied);
    EXPECT_EQ(k.reloads(), reloads);
}

}  // namespace
}  // namespace vzlvs
