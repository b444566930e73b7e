// The etcd dialect against a real etcd (Debian's etcd-server) on loopback: one member, and a
// cluster of three with the member in use killed mid-run. Directors' acknowledgements are put
// as `vzlvs director` puts them (its own tests run the real one: director_host_test.cpp).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "support/etcd_cluster.hpp"
#include "vzlvs/director/director.hpp"
#include "vzlvs/director/etcd.hpp"
#include "vzlvs/director/etcd_layout.hpp"

namespace vzlvs {
namespace {

using namespace std::chrono_literals;
using test::EtcdCluster;

#define SKIP_WITHOUT_ETCD() \
    if (!test::etcd_installed()) GTEST_SKIP() << "etcd-server is not installed"

Config etcd_config(const std::vector<std::string>& endpoints, const std::string& state_dir,
                   std::chrono::seconds ttl = 10s) {
    return test::etcd_node_config(endpoints, state_dir, "node1", ttl);
}

ServiceSpec web() { return test::etcd_test_service(); }

BackendSpec ct101(int weight = 1) {
    BackendSpec b;
    b.service_id = "web";
    b.id = "node1-101-web";
    b.host = "10.0.0.101";
    b.port = 80;
    b.weight = weight;
    b.node = "node1";
    b.ct = "101";
    return b;
}

EtcdClient client_of(const EtcdCluster& etcd) {
    EtcdSettings s;
    s.endpoints = etcd.endpoints();
    return EtcdClient(s);
}

TEST(EtcdDirector, RegistersOnTheNodesLeaseAndASecondRunWritesNothing) {
    SKIP_WITHOUT_ETCD();
    EtcdCluster etcd;
    test::ScratchDir state;
    const Config cfg = etcd_config(etcd.endpoints(), state.path());
    auto d = make_director(cfg);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->diff_service(web()).kind, DiffKind::service_missing);
    EXPECT_EQ(d->diff(ct101()).kind, DiffKind::missing);
    EXPECT_EQ(d->ensure_service(web()), Change::changed);
    EXPECT_EQ(d->ensure_backend(ct101()), Change::changed);

    EtcdClient c = client_of(etcd);
    const EtcdKeys keys;
    const auto svc = c.get(keys.service("web"));
    ASSERT_EQ(svc.kvs.size(), 1u);
    EXPECT_EQ(parse_service(svc.kvs[0].key, svc.kvs[0].value).vip, "192.0.2.10");
    const auto be = c.get(keys.backend("web", "node1-101-web"));
    ASSERT_EQ(be.kvs.size(), 1u);
    const StoredBackend stored = parse_backend(be.kvs[0].key, be.kvs[0].value);
    EXPECT_EQ(stored.host, "10.0.0.101");
    EXPECT_EQ(stored.state, "active");
    EXPECT_EQ(stored.node, "node1");
    EXPECT_EQ(stored.ct, "101");
    // On the lease kept in state_dir, which etcd knows.
    std::ifstream lease_file(state.path() + "/etcd-lease");
    int64_t lease = 0;
    lease_file >> lease;
    EXPECT_EQ(be.kvs[0].lease, lease);
    EXPECT_GT(c.lease_time_to_live(lease), 0);

    // Another run (a new director object, as the next command makes) changes nothing.
    auto again = make_director(cfg);
    const int64_t rev = c.get("/").revision;
    EXPECT_EQ(again->ensure_service(web()), Change::unchanged);
    EXPECT_EQ(again->ensure_backend(ct101()), Change::unchanged);
    EXPECT_EQ(again->diff(ct101()).kind, DiffKind::ok);
    EXPECT_EQ(c.get("/").revision, rev) << "a converged run made a write";
    EXPECT_NE(again->diff(ct101()).detail.find("no director runs"), std::string::npos);
}

TEST(EtcdDirector, AServiceDefinedOtherwiseIsRefusedAndLeftAlone) {
    SKIP_WITHOUT_ETCD();
    EtcdCluster etcd;
    test::ScratchDir state;
    auto d = make_director(etcd_config(etcd.endpoints(), state.path()));
    d->ensure_service(web());
    ServiceSpec other = web();
    other.port = 8080;
    EXPECT_EQ(d->diff_service(other).kind, DiffKind::service_mismatch);
    try {
        d->ensure_service(other);
        FAIL() << "a different definition was accepted";
    } catch (const DirectorError& e) {
        EXPECT_EQ(e.reason(), DirectorError::Reason::refused);
        EXPECT_NE(std::string(e.what()).find("192.0.2.10:80/tcp"), std::string::npos) << e.what();
    }
    EtcdClient c = client_of(etcd);
    const auto svc = c.get(EtcdKeys{}.service("web"));
    EXPECT_EQ(parse_service(svc.kvs[0].key, svc.kvs[0].value).port, 80);
}

TEST(EtcdDirector, DiffsNameEachDirectorThatHasNotApplied) {
    SKIP_WITHOUT_ETCD();
    EtcdCluster etcd;
    test::ScratchDir state;
    auto d = make_director(etcd_config(etcd.endpoints(), state.path()));
    d->ensure_service(web());
    d->ensure_backend(ct101(100));
    EtcdClient c = client_of(etcd);
    const EtcdKeys keys;
    const int64_t dir_lease = c.lease_grant(30s);
    c.put(keys.director("dir1"), to_json(StoredDirector{"dir1", "keepalived"}), dir_lease);
    c.put(keys.director("dir2"), to_json(StoredDirector{"dir2", "keepalived"}), dir_lease);
    c.put(keys.applied("dir1", "web", "node1-101-web"), applied_json(100), dir_lease);

    BackendDiff diff = d->diff(ct101(100));
    EXPECT_EQ(diff.kind, DiffKind::not_applied);
    EXPECT_EQ(diff.detail, "not applied on dir2");

    c.put(keys.applied("dir2", "web", "node1-101-web"), applied_json(0), dir_lease);
    diff = d->diff(ct101(100));
    EXPECT_EQ(diff.detail, "weight 0 on dir2, 100 wanted");

    c.put(keys.applied("dir2", "web", "node1-101-web"), applied_json(100), dir_lease);
    diff = d->diff(ct101(100));
    EXPECT_EQ(diff.kind, DiffKind::ok);
    EXPECT_EQ(diff.detail, "weight 100 on dir1, dir2");

    // Drain: weight 0 and "draining" in the store; the wait ends when every director shows 0,
    // here never: it runs out, and says so.
    EXPECT_EQ(d->set_weight(ct101(100), 0), Change::changed);
    const auto be = c.get(keys.backend("web", "node1-101-web"));
    EXPECT_EQ(parse_backend(be.kvs[0].key, be.kvs[0].value).state, "draining");
    std::chrono::milliseconds waited{0};
    const std::string ran_out =
        d->wait_drained(ct101(100), 1000ms, [&](std::chrono::milliseconds ms) { waited += ms; });
    EXPECT_EQ(waited, 1000ms);
    EXPECT_NE(ran_out.find("drain ran out"), std::string::npos) << ran_out;
    EXPECT_NE(ran_out.find("weight 100 on dir1"), std::string::npos) << ran_out;

    // Both apply 0 after 300 ms: the wait ends then.
    waited = 0ms;
    const std::string confirmed =
        d->wait_drained(ct101(100), 10000ms, [&](std::chrono::milliseconds ms) {
            waited += ms;
            if (waited == 300ms)
                for (const char* dir : {"dir1", "dir2"})
                    c.put(keys.applied(dir, "web", "node1-101-web"), applied_json(0), dir_lease);
        });
    EXPECT_EQ(waited, 300ms);
    EXPECT_NE(confirmed.find("weight 0 on dir1, dir2"), std::string::npos) << confirmed;
    EXPECT_EQ(d->remove_backend(ct101()), Change::changed);
    EXPECT_EQ(d->remove_backend(ct101()), Change::unchanged);
}

TEST(EtcdDirector, BackendsVanishWhenTheLeaseIsNotRenewedAndComeBackOnANewOne) {
    SKIP_WITHOUT_ETCD();
    EtcdCluster etcd;
    test::ScratchDir state;
    const Config cfg = etcd_config(etcd.endpoints(), state.path(), 2s);
    auto d = make_director(cfg);
    d->ensure_service(web());
    const auto start = std::chrono::steady_clock::now();
    d->ensure_backend(ct101());
    EXPECT_EQ(d->renew_every(), 666ms);
    auto fresh = make_director(cfg);
    ASSERT_TRUE(fresh->renew()) << "a live lease renews";
    ASSERT_EQ(fresh->keepalive_state()->kind, DiffKind::ok);

    // Nobody renews: etcd deletes the backend when the lease expires (awaited on a watch).
    EtcdClient c = client_of(etcd);
    const std::string key = EtcdKeys{}.backend("web", "node1-101-web");
    bool deleted = false;
    c.watch_prefix(key, 0, 10s, [&](const std::vector<EtcdEvent>& events, int64_t) {
        for (const auto& e : events) deleted = deleted || e.deleted;
        return !deleted;
    });
    ASSERT_TRUE(deleted);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_EQ(make_director(cfg)->keepalive_state()->kind, DiffKind::missing);

    // watch's renewal finds it gone, makes a new lease, and the next pass registers again.
    auto watch = make_director(cfg);
    EXPECT_FALSE(watch->renew());
    EXPECT_EQ(watch->diff(ct101()).kind, DiffKind::missing);
    EXPECT_EQ(watch->ensure_backend(ct101()), Change::changed);
    EXPECT_EQ(make_director(cfg)->diff(ct101()).kind, DiffKind::ok);
}

TEST(EtcdDirector, FailsOverWhenTheMemberInUseIsKilled) {
    SKIP_WITHOUT_ETCD();
    EtcdCluster etcd(3);
    test::ScratchDir state;
    const Config cfg = etcd_config(etcd.endpoints(), state.path());
    auto d = make_director(cfg);
    d->ensure_service(web());
    EXPECT_EQ(d->ensure_backend(ct101()), Change::changed);
    etcd.kill(0);  // the first endpoint, the one the client was using
    BackendSpec b102 = ct101();
    b102.id = "node1-102-web";
    b102.host = "10.0.0.102";
    b102.ct = "102";
    EXPECT_EQ(d->ensure_backend(b102), Change::changed);
    EXPECT_EQ(d->diff(ct101()).kind, DiffKind::ok);
    EXPECT_TRUE(d->renew());
    // A new run starts at the dead member and goes on to the others.
    auto next = make_director(cfg);
    EXPECT_EQ(next->diff(b102).kind, DiffKind::ok);
    EXPECT_EQ(next->ensure_backend(b102), Change::unchanged);
    const std::string members =
        etcd.etcdctl({"get", "--prefix", "/vzlvs/v1/backends/", "--keys-only"});
    EXPECT_NE(members.find("node1-102-web"), std::string::npos) << members;
}

TEST(EtcdDirector, AuthenticatesWithThePasswordFileAndNeverShowsThePassword) {
    SKIP_WITHOUT_ETCD();
    EtcdCluster etcd;
    etcd.etcdctl({"user", "add", "root:s3cret-pw"});
    etcd.etcdctl({"auth", "enable"});
    test::ScratchDir state, secrets;
    const std::string pw = secrets.path() + "/password";
    auto write_secret = [&](const std::string& text) {
        std::ofstream(pw) << text << "\n";
        std::filesystem::permissions(pw, std::filesystem::perms::owner_read |
                                             std::filesystem::perms::owner_write);
    };
    write_secret("s3cret-pw");
    Config cfg = etcd_config(etcd.endpoints(), state.path());
    cfg.director.user = "root";
    cfg.director.password_file = pw;
    auto d = make_director(cfg);
    EXPECT_EQ(d->ensure_service(web()), Change::changed);
    EXPECT_EQ(d->ensure_backend(ct101()), Change::changed);
    EXPECT_EQ(d->diff(ct101()).kind, DiffKind::ok);

    // Without credentials etcd refuses; with the wrong password, so does authentication, and
    // neither message carries a password.
    Config anonymous = etcd_config(etcd.endpoints(), state.path());
    try {
        make_director(anonymous)->diff(ct101());
        ADD_FAILURE() << "etcd with auth answered an anonymous read";
    } catch (const DirectorError& e) {
        EXPECT_EQ(e.reason(), DirectorError::Reason::refused) << e.what();
    }
    write_secret("wrong-pw");
    try {
        make_director(cfg)->diff(ct101());
        ADD_FAILURE() << "a wrong password was accepted";
    } catch (const DirectorError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("authentication as user root refused"), std::string::npos) << what;
        EXPECT_EQ(what.find("wrong-pw"), std::string::npos) << what;
        EXPECT_EQ(what.find("s3cret"), std::string::npos) << what;
    }
    // The state dir holds the lease ID, never the password.
    for (const auto& f : std::filesystem::recursive_directory_iterator(state.path())) {
        if (!f.is_regular_file()) continue;
        std::ifstream in(f.path());
        const std::string text((std::istreambuf_iterator<char>(in)), {});
        EXPECT_EQ(text.find("s3cret"), std::string::npos) << f.path();
    }
}

TEST(EtcdDirector, NoEndpointAnsweringIsUnreachableNamingEachOne) {
    EtcdSettings s;
    s.endpoints = {"http://127.0.0.1:1", "http://127.0.0.1:2"};
    s.timeout = 500ms;
    EtcdClient c(s);
    try {
        c.get("/x");
        FAIL();
    } catch (const DirectorError& e) {
        EXPECT_EQ(e.reason(), DirectorError::Reason::unreachable);
        EXPECT_NE(std::string(e.what()).find("127.0.0.1:1"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("127.0.0.1:2"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace vzlvs
