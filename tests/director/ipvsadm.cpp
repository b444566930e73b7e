#include "ipvsadm.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace testdirector {

namespace {

std::string address(const std::string& host, int port) {
    // ipvsadm wants IPv6 addresses in brackets when a port follows.
    return host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                               : host + ":" + std::to_string(port);
}

std::string method_flag(const std::string& method) {
    if (method == "tunnel" || method == "ipip") return "-i";
    if (method == "dr") return "-g";
    return "-m";
}

}  // namespace

std::vector<std::string> ipvsadm_argv(const std::string& ipvsadm, const IpvsChange& c) {
    const std::string proto = c.protocol == "udp" ? "-u" : "-t";
    const std::string vip = address(c.vip, c.vport);
    switch (c.kind) {
        case IpvsChange::add_service:
            return {ipvsadm, "-A", proto, vip, "-s", c.scheduler};
        case IpvsChange::del_service:
            return {ipvsadm, "-D", proto, vip};
        case IpvsChange::add_dest:
        case IpvsChange::edit_dest:
            return {ipvsadm,
                    c.kind == IpvsChange::add_dest ? "-a" : "-e",
                    proto,
                    vip,
                    "-r",
                    address(c.rip, c.rport),
                    method_flag(c.method),
                    "-w",
                    std::to_string(c.weight)};
        case IpvsChange::del_dest:
            return {ipvsadm, "-d", proto, vip, "-r", address(c.rip, c.rport)};
    }
    return {};
}

std::string join_argv(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
    return s;
}

void run_argv(const std::vector<std::string>& argv) {
    int err[2];
    if (pipe(err) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        dup2(err[1], 2);
        close(err[0]);
        close(err[1]);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        dprintf(2, "cannot execute %s: %s", args[0], std::strerror(errno));
        _exit(127);
    }
    close(err[1]);
    std::string text;
    char buf[512];
    ssize_t n;
    while ((n = read(err[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    close(err[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error(join_argv(argv) + " failed: " + text);
}

}  // namespace testdirector
