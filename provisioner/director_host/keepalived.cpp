#include "vzlvs/director_host/keepalived.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <thread>

#include "vzlvs/base/error.hpp"
#include "vzlvs/base/files.hpp"
#include "vzlvs/base/strings.hpp"

namespace vzlvs {

namespace {

std::string lb_kind(const std::string& method) { return method == "dr" ? "DR" : "TUN"; }

// What keepalived checks a real server with: the node's choice for the service (docs).
void checker(std::ostringstream& out, const StoredService& s, const StoredBackend& b) {
    if (b.check.type == "none" || s.protocol == "udp") return;  // TCP_CHECK cannot judge UDP
    if (b.check.type == "http") {
        out << "        HTTP_GET {\n"
            << "            url {\n"
            << "                path " << b.check.path << "\n"
            << "                status_code " << b.check.expect << "\n"
            << "            }\n"
            << "            connect_timeout 3\n"
            << "        }\n";
        return;
    }
    out << "        TCP_CHECK {\n"
        << "            connect_timeout 3\n"
        << "        }\n";
}

}  // namespace

std::string render_keepalived(const Fleet& fleet) {
    std::ostringstream out;
    out << "# Written by `vzlvs director` from etcd; do not edit: it is rewritten at every\n"
        << "# change. keepalived.conf includes it (docs/commands/director.md).\n";
    for (const auto& [id, fs] : fleet.services) {
        // keepalived ignores one with no real server, and its config test fails on it.
        if (fs.backends.empty()) continue;
        const StoredService& s = fs.service;
        int delay = 0;
        for (const auto& [_, b] : fs.backends)
            delay = delay == 0 ? b.check.interval_s : std::min(delay, b.check.interval_s);
        out << "\n# service " << id << "\n"
            << "virtual_server " << s.vip << " " << s.port << " {\n"
            << "    delay_loop " << (delay ? delay : 5) << "\n"
            << "    lb_algo " << s.scheduler << "\n"
            << "    lb_kind " << lb_kind(s.method) << "\n"
            << "    protocol " << (s.protocol == "udp" ? "UDP" : "TCP") << "\n";
        for (const auto& [bid, b] : fs.backends) {
            out << "\n    # " << bid << (b.state == "draining" ? " (draining)" : "") << "\n"
                << "    real_server " << b.host << " " << b.port << " {\n"
                << "        weight " << Fleet::weight_of(b) << "\n";
            checker(out, s, b);
            out << "    }\n";
        }
        out << "}\n";
    }
    return out.str();
}

KeepalivedApply::KeepalivedApply(std::filesystem::path conf, std::filesystem::path pid_file,
                                 std::chrono::milliseconds min_reload_interval)
    : conf_(std::move(conf)), pid_file_(std::move(pid_file)), min_interval_(min_reload_interval) {}

bool KeepalivedApply::holds(const std::string& text) const {
    return !reload_owed_ && read_file(conf_) == text;
}

pid_t KeepalivedApply::keepalived_pid() const {
    const auto text = read_file(pid_file_);
    if (!text)
        throw Error("keepalived is not running (no " + pid_file_.string() +
                    "): the file is in place for its start; nothing is applied yet");
    long pid = 0;
    try {
        pid = std::stol(trim(*text));
    } catch (const std::exception&) {
    }
    const auto comm = pid > 1 ? read_file("/proc/" + std::to_string(pid) + "/comm") : std::nullopt;
    if (!comm || trim(*comm) != "keepalived")
        throw Error(pid_file_.string() + " names no running keepalived (pid " +
                    std::to_string(pid) + "): is keepalived running?");
    return static_cast<pid_t>(pid);
}

bool KeepalivedApply::apply_text(const std::string& text,
                                 const std::function<void(std::chrono::milliseconds)>& wait) {
    // The file is read once: it holds the text (reloaded, or a reload still owed), or not.
    const bool written = read_file(conf_) == text;
    if (written && !reload_owed_) return false;
    if (!written) {
        std::error_code ec;
        std::filesystem::create_directories(conf_.parent_path(), ec);
        atomic_write(conf_, text, 0644);
    }
    reload_owed_ = true;
    if (last_reload_) {
        const auto since = std::chrono::steady_clock::now() - *last_reload_;
        if (since < min_interval_) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(min_interval_ - since);
            if (wait)
                wait(left);
            else
                std::this_thread::sleep_for(left);
        }
    }
    const pid_t pid = keepalived_pid();
    if (::kill(pid, SIGHUP) != 0)
        throw Error("cannot signal keepalived (pid " + std::to_string(pid) +
                    "): " + std::strerror(errno));
    last_reload_ = std::chrono::steady_clock::now();
    reload_owed_ = false;
    ++reloads_;
    spdlog::info("keepalived (pid {}) reloads {}", pid, conf_.string());
    return true;
}

}  // namespace vzlvs
