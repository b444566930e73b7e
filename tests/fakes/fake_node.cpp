#include "fakes/fake_node.hpp"

#include <stdlib.h>

#include "vzlvs/commands/run.hpp"

namespace vzlvs::fakes {

namespace {

std::filesystem::path make_temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vzlvs-fake.XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw Error("mkdtemp failed");
    return tmpl;
}

}  // namespace

FakeNode::FakeNode(const std::string& node_extra, bool openvz7)
    : containers(events, make_temp_dir()), dir_() {
    dir_ = containers.action_script("x", "y").parent_path();
    std::filesystem::create_directories(dir_ / "state");
    const std::string text =
        "[node]\nname = fake\nuplinks = eth0\nstate_dir = " + (dir_ / "state").string() +
        "\nvz_conf_dir = " + dir_.string() + "\nsysctl_dir = " + (dir_ / "sysctl.d").string() +
        "\nmodules_load_dir = " + (dir_ / "modules-load.d").string() +
        "\nsysconfig_modules_dir = " + (dir_ / "sysconfig-modules").string() + "\n" + node_extra +
        "\n[director]\nurl = http://127.0.0.1:9\ndrain = 1ms\n"
        "[service web]\nvip = 192.0.2.10\nport = 80\n"
        "[service dns]\nvip = 192.0.2.53\nport = 53\nprotocol = udp\n"
        "check = none\n"
        "[container " +
        std::string(openvz7 ? "web1" : "101") +
        "]\nservices = web\nweight = 10\n"
        "[container 102]\nservices = dns\n";
    cfg_ = parse_config(text, (dir_ / "vzlvs.conf").string());
    containers.openvz7 = openvz7;
    if (openvz7) containers.names["web1"] = "101";
    containers.node = &netlink;
    containers.cts["101"].ips = {"198.51.100.101"};
    containers.cts["102"].ips = {"198.51.100.102"};
    LinkInfo eth0;
    eth0.name = "eth0";
    eth0.up = true;
    eth0.mtu = 1500;
    LinkInfo venet;
    venet.name = "venet0";
    venet.up = true;
    venet.noarp = true;
    netlink.link_table = {eth0, venet};
    system.sysctls = {
        {"net.ipv4.conf.all.rp_filter", "0"},  {"net.ipv4.conf.default.rp_filter", "0"},
        {"net.ipv4.conf.eth0.rp_filter", "0"}, {"net.ipv4.conf.venet0.rp_filter", "0"},
        {"net.ipv4.ip_forward", "1"},          {"net.ipv4.conf.all.proxy_arp", "0"},
        {"net.ipv4.conf.eth0.proxy_arp", "0"}};
}

FakeNode::~FakeNode() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

Seams FakeNode::seams() {
    Seams::Parts p;
    p.runner = &runner;
    p.containers = &containers;
    p.netlink = &netlink;
    p.guard = &guard;
    p.ct_net = &ct_net;
    p.director = dialects_.empty() ? &director : nullptr;
    p.dialects = dialects_.empty() ? nullptr : &dialects_;
    p.prober = &prober;
    p.node_system = &system;
    return Seams(cfg_, p);
}

void FakeNode::speak(std::vector<DirectorDialect> dialects, const std::string& api) {
    dialects_ = std::move(dialects);
    cfg_.director.api = api;
}

Report FakeNode::run(const std::string& command, std::vector<std::string> ctids, bool dry_run) {
    FlowOptions o = options;
    o.dry_run = dry_run;
    o.config_path = dir_ / "vzlvs.conf";
    o.self = "vzlvs";
    o.lock_wait = std::chrono::milliseconds(0);
    Seams s = seams();
    return run_command(cfg_, o, command, ctids, s);
}

const Outcome* find(const Report& r, const std::string& scope, const std::string& name) {
    for (const auto& o : r.outcomes())
        if (o.scope == scope && o.name == name) return &o;
    return nullptr;
}

std::string failures(const Report& r) {
    std::string out;
    for (const auto& o : r.outcomes())
        if (o.status == Status::failed)
            out += "[" + o.scope + "] " + o.name + ": " + o.detail + "\n";
    return out;
}

}  // namespace vzlvs::fakes
