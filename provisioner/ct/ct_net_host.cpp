#include "vzlvs/ct/ct_net_host.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <system_error>

#include "ct/ct_fields.hpp"
#include "vzlvs/base/files.hpp"
#include "vzlvs/base/strings.hpp"
#include "vzlvs/net/netlink.hpp"
#include "vzlvs/net/sysctl.hpp"

namespace vzlvs {

namespace {

constexpr const char* kTunnel = "tunl0";

// "net.ipv4.conf.all.rp_filter" → "proc/sys/net/ipv4/conf/all/rp_filter": net/sysctl.hpp's
// path (device names with dots kept), relative, to be walked from a root.
std::string proc_sys(const std::string& key) { return sysctl_path(key).relative_path().string(); }

// sysctl KEY as this thread's network namespace shows it, the way the script's `cat` does:
// trailing newline stripped, "-" when unreadable. Read through the CT's own /proc/sys when it
// has one (`sys`: that directory open, reached without links, on a procfs): the node's
// /proc/sys keeps a dentry per namespace under one parent, so looking a name up there costs
// more with every CT read before it.
std::string value_of(const ReadBeneath& r) {
    return r.result == ReadBeneath::Result::read ? trim(r.text, "\n") : "-";
}
std::string host_sysctl(const std::string& key) {
    return value_of(read_beneath("/", proc_sys(key), 64, PROC_SUPER_MAGIC));
}
std::string sysctl_value(int dir, const std::string& dir_name, const std::string& file,
                         const std::string& key) {
    if (dir < 0) return host_sysctl(key);
    const ReadBeneath r = read_beneath(dir, dir_name, file, 64, PROC_SUPER_MAGIC);
    return r.result == ReadBeneath::Result::read ? value_of(r) : host_sysctl(key);
}

class Dir {
  public:
    explicit Dir(const std::string& path)
        : fd_(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}
    // dir/rel, each component opened without following a link; fd() < 0 when that fails.
    Dir(const Dir& dir, const std::string& rel) : fd_(dir.fd_ < 0 ? -1 : ::dup(dir.fd_)) {
        std::size_t at = 0;
        while (fd_ >= 0 && at < rel.size()) {
            const std::size_t end = std::min(rel.find('/', at), rel.size());
            const int next = ::openat(fd_, rel.substr(at, end - at).c_str(),
                                      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            ::close(fd_);
            fd_ = next;
            at = end + 1;
        }
    }
    ~Dir() {
        if (fd_ >= 0) ::close(fd_);
    }
    Dir(const Dir&) = delete;
    Dir& operator=(const Dir&) = delete;
    int fd() const { return fd_; }

  private:
    int fd_;
};

// The CT as the rows of ct/ct_fields.cpp ask for it, from a thread already in its network
// namespace: one lookup of tunl0, one dump each of addresses and routes, the persisted file
// read once, and each directory of the CT's /proc/sys opened once, from its parent (conf/all
// holds three of the sysctl rows, and conf/all and conf/tunl0 share five levels).
class HostView final : public CtHostView {
  public:
    HostView(const Dir& root, const std::string& root_path, const NodeSysctls& node)
        : root_(root), root_path_(root_path), node_(node) {}

    const std::optional<LinkInfo>& tunl0() override {
        if (!tunl0_) tunl0_ = nl().link(kTunnel);
        return *tunl0_;
    }
    std::vector<std::string> addresses(const std::string& dev) override {
        if (!addrs_) addrs_ = nl().all_addresses();
        auto it = addrs_->find(dev);
        return it == addrs_->end() ? std::vector<std::string>{} : it->second;
    }
    std::string sysctl(const std::string& key) override {
        const std::string rel = proc_sys(key);
        const std::string parent = rel.substr(0, rel.rfind('/'));
        return sysctl_value(dir(parent).fd(), root_path_ + "/" + parent,
                            rel.substr(parent.size() + 1), key);
    }
    std::string node_sysctl(const std::string& key) override {
        auto it = node_.find(key);
        if (it == node_.end())
            throw Error("internal: the node's " + key + " was not read (ct_node_sysctls)");
        return it->second;
    }
    std::optional<unsigned> default_route_advmss() override { return nl().default_route_advmss(); }
    const ReadBeneath& persisted() override {
        if (!persisted_)
            persisted_ = read_beneath(root_.fd(), root_path_, kCtPersistFile, kCtNetOutputMax);
        return *persisted_;
    }

  private:
    Netlink& nl() {
        if (!nl_) nl_ = make_netlink();
        return *nl_;
    }
    const Dir& dir(const std::string& rel) {
        auto& d = dirs_[rel];
        if (!d) {
            const std::size_t slash = rel.rfind('/');
            d = slash == std::string::npos
                    ? std::make_unique<Dir>(root_, rel)
                    : std::make_unique<Dir>(dir(rel.substr(0, slash)), rel.substr(slash + 1));
        }
        return *d;
    }

    const Dir& root_;
    const std::string& root_path_;
    const NodeSysctls& node_;
    std::unique_ptr<Netlink> nl_;
    std::optional<std::optional<LinkInfo>> tunl0_;
    std::optional<std::map<std::string, std::vector<std::string>>> addrs_;
    std::optional<ReadBeneath> persisted_;
    std::map<std::string, std::unique_ptr<Dir>> dirs_;
};

// read_ct_net_from_host() on a thread already in the CT's network namespace.
std::optional<CtNetState> read_in_ct_netns(const std::string& root_path, const NodeSysctls& node) {
    std::optional<CtNetState> st;
    with_host_view(root_path, node, [&](CtHostView& view) {
        // The script reads the file as the CT sees it, links and all: left to it.
        if (view.persisted().result != ReadBeneath::Result::refused) st = read_ct_fields(view);
    });
    return st;
}

std::string proc_of(pid_t pid) { return "/proc/" + std::to_string(pid); }

}  // namespace

void with_host_view(const std::string& root_path, const NodeSysctls& node,
                    const std::function<void(CtHostView&)>& f) {
    const Dir root(root_path);
    if (root.fd() < 0)
        throw Error("cannot open the container's root " + root_path + ": " + std::strerror(errno) +
                    " (has it stopped?)");
    HostView view(root, root_path, node);
    f(view);
}

NodeSysctls read_node_sysctls() {
    NodeSysctls node;
    for (const auto& key : ct_node_sysctls()) node[key] = host_sysctl(key);
    return node;
}

std::optional<CtNetState> read_ct_net_from_host(const std::string& netns_path,
                                                const std::string& root_path,
                                                const NodeSysctls& node) {
    std::optional<CtNetState> st;
    in_netns(netns_path, [&] { st = read_in_ct_netns(root_path, node); });
    return st;
}

void read_ct_nets_from_host(const std::vector<pid_t>& pids, const NodeSysctls& node,
                            const std::function<void(std::size_t, HostCtNetRead)>& done) {
    std::vector<std::string> netns;
    for (pid_t pid : pids) netns.push_back(proc_of(pid) + "/ns/net");
    std::vector<std::optional<CtNetState>> states(pids.size());
    in_each_netns(
        netns,
        [&](std::size_t i) { states[i] = read_in_ct_netns(proc_of(pids[i]) + "/root", node); },
        [&](std::size_t i, std::exception_ptr failure) {
            done(i, {std::move(states[i]), std::move(failure)});
        });
}

HostCtNet::~HostCtNet() {
    if (reader_.joinable()) reader_.join();
}

void HostCtNet::read_ahead(const std::vector<std::string>& ctids) {
    if (reader_.joinable()) reader_.join();  // one read-ahead at a time
    std::vector<std::string> ids;
    std::vector<pid_t> pids;
    for (const auto& ctid : ctids) {
        try {
            if (auto pid = containers_.ct_process(ctid)) {
                ids.push_back(ctid);
                pids.push_back(*pid);
            }
        } catch (const std::exception&) {
            // observe() meets the same error and reports it in the CT's step.
        }
    }
    if (ids.empty()) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (std::size_t i = 0; i < ids.size(); ++i)
            ahead_[ids[i]] = Ahead{pids[i], false, std::nullopt};
    }
    // No other read-ahead runs (joined above): an entry missing is one forgotten meanwhile.
    auto finish = [this](const std::string& ctid, std::optional<CtNetState> state) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = ahead_.find(ctid);
        if (it == ahead_.end() || it->second.done) return;
        it->second.done = true;
        it->second.state = std::move(state);
        read_.notify_all();
    };
    auto read = [ids, pids, finish, &node = node_sysctls()] {
        try {
            read_ct_nets_from_host(pids, node, [&](std::size_t i, HostCtNetRead r) {
                finish(ids[i], r.failure ? std::nullopt : std::move(r.state));
            });
        } catch (...) {
            // No thread to read with: every CT not read yet is read by observe() itself.
            for (const auto& ctid : ids) finish(ctid, std::nullopt);
        }
    };
    try {
        reader_ = std::thread(read);
    } catch (const std::system_error&) {
        for (const auto& ctid : ids) forget(ctid);  // observe() reads each CT itself
    }
}

void HostCtNet::forget(const std::string& ctid) {
    std::lock_guard<std::mutex> lock(mutex_);
    ahead_.erase(ctid);
}

std::optional<CtNetState> HostCtNet::take_ahead(const std::string& ctid, pid_t pid) {
    std::unique_lock<std::mutex> lock(mutex_);
    auto it = ahead_.find(ctid);
    if (it == ahead_.end()) return std::nullopt;
    // Only this thread erases entries: `it` stays valid while the reader fills it in.
    read_.wait(lock, [&] { return it->second.done; });
    std::optional<CtNetState> st;
    if (it->second.pid == pid) st = std::move(it->second.state);  // the same init: no restart
    ahead_.erase(it);
    return st;
}

const NodeSysctls& HostCtNet::node_sysctls() {
    if (!node_sysctls_) node_sysctls_ = read_node_sysctls();
    return *node_sysctls_;
}

CtNetState HostCtNet::observe(const std::string& ctid, const std::vector<std::string>& vips) {
    const auto pid = containers_.ct_process(ctid);
    if (!pid) return fallback_.observe(ctid, vips);
    std::optional<CtNetState> st = take_ahead(ctid, *pid);
    const std::string proc = proc_of(*pid);
    try {
        if (!st) st = read_ct_net_from_host(proc + "/ns/net", proc + "/root", node_sysctls());
    } catch (const std::exception& e) {
        throw Error("in CT " + ctid + " (read from the host through pid " + std::to_string(*pid) +
                    "): " + e.what());
    }
    if (!st) return fallback_.observe(ctid, vips);
    return *st;
}

}  // namespace vzlvs
