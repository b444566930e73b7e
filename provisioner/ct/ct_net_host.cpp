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

#include "vzlvs/base/files.hpp"
#include "vzlvs/base/strings.hpp"
#include "vzlvs/net/desired_sysctls.hpp"
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

// read_ct_net_from_host() on a thread already in the CT's network namespace.
std::optional<CtNetState> read_in_ct_netns(const std::string& root_path) {
    const Dir root(root_path);
    if (root.fd() < 0)
        throw Error("cannot open the container's root " + root_path + ": " + std::strerror(errno) +
                    " (has it stopped?)");
    const ReadBeneath persisted =
        read_beneath(root.fd(), root_path, kCtPersistFile, kCtNetOutputMax);
    if (persisted.result == ReadBeneath::Result::refused) return std::nullopt;
    CtNetState st;
    st.persist = persist_state(persisted.result == ReadBeneath::Result::read
                                   ? std::optional<std::string>(persisted.text)
                                   : std::nullopt);
    auto nl = make_netlink();  // one lookup of tunl0, one dump each of addresses and routes
    const auto addrs = nl->all_addresses();
    auto addrs_of = [&](const std::string& dev) {
        auto it = addrs.find(dev);
        return it == addrs.end() ? std::vector<std::string>{} : it->second;
    };
    if (auto l = nl->link(kTunnel)) {
        st.tunl0 = true;
        st.kind = l->kind.empty() ? (l->arptype == 768 ? "ipip" : "unknown") : l->kind;
        st.up = l->up;
        if (l->mtu) st.mtu = l->mtu;
        st.addrs = addrs_of(kTunnel);
    }
    // Each directory of the CT's /proc/sys opened once, from its parent (conf/all holds three
    // of the rows, and conf/all and conf/tunl0 share five levels).
    std::map<std::string, std::unique_ptr<Dir>> dirs;
    std::function<const Dir&(const std::string&)> dir = [&](const std::string& rel) -> const Dir& {
        auto& d = dirs[rel];
        if (!d) {
            const std::size_t slash = rel.rfind('/');
            d = slash == std::string::npos
                    ? std::make_unique<Dir>(root, rel)
                    : std::make_unique<Dir>(dir(rel.substr(0, slash)), rel.substr(slash + 1));
        }
        return *d;
    };
    for (const auto& row : ct_sysctls()) {
        const std::string rel = proc_sys(row.key);
        const std::string parent = rel.substr(0, rel.rfind('/'));
        st.sysctls[row.key] = sysctl_value(dir(parent).fd(), root_path + "/" + parent,
                                           rel.substr(parent.size() + 1), row.key);
    }
    st.venet = addrs_of("venet0");
    st.advmss = nl->default_route_advmss();
    return st;
}

std::string proc_of(pid_t pid) { return "/proc/" + std::to_string(pid); }

}  // namespace

std::optional<CtNetState> read_ct_net_from_host(const std::string& netns_path,
                                                const std::string& root_path) {
    std::optional<CtNetState> st;
    in_netns(netns_path, [&] { st = read_in_ct_netns(root_path); });
    return st;
}

void read_ct_nets_from_host(const std::vector<pid_t>& pids,
                            const std::function<void(std::size_t, HostCtNetRead)>& done) {
    std::vector<std::string> netns;
    for (pid_t pid : pids) netns.push_back(proc_of(pid) + "/ns/net");
    std::vector<std::optional<CtNetState>> states(pids.size());
    in_each_netns(
        netns, [&](std::size_t i) { states[i] = read_in_ct_netns(proc_of(pids[i]) + "/root"); },
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
    auto read = [ids, pids, finish] {
        try {
            read_ct_nets_from_host(pids, [&](std::size_t i, HostCtNetRead r) {
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

CtNetState HostCtNet::observe(const std::string& ctid, const std::vector<std::string>& vips) {
    const auto pid = containers_.ct_process(ctid);
    if (!pid) return fallback_.observe(ctid, vips);
    std::optional<CtNetState> st = take_ahead(ctid, *pid);
    const std::string proc = proc_of(*pid);
    try {
        if (!st) st = read_ct_net_from_host(proc + "/ns/net", proc + "/root");
    } catch (const std::exception& e) {
        throw Error("in CT " + ctid + " (read from the host through pid " + std::to_string(*pid) +
                    "): " + e.what());
    }
    if (!st) return fallback_.observe(ctid, vips);
    // The node's own switch (the kernel keeps it for the initial namespace only): whether
    // containers get a tunl0 at all. Read once per run.
    if (!fb_tunnels_) fb_tunnels_ = host_sysctl("net.core.fb_tunnels_only_for_init_net");
    if (*fb_tunnels_ != "-")
        st->fb_tunnels = static_cast<unsigned>(parse_unsigned(*fb_tunnels_, "fb_tunnels"));
    return *st;
}

}  // namespace vzlvs
