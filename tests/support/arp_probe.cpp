#include "arp_probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace vzlvs::test {

namespace {

struct [[gnu::packed]] EthArp {
    ether_header eth;
    arphdr arp;
    unsigned char sha[6];
    unsigned char spa[4];
    unsigned char tha[6];
    unsigned char tpa[4];
};

std::runtime_error sys_error(const std::string& what) {
    return std::runtime_error(what + ": " + std::strerror(errno));
}

std::string mac_str(const unsigned char* m) {
    char b[18];
    std::snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return b;
}

std::string ip_str(const unsigned char* p) {
    char b[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, p, b, sizeof b);
    return b;
}

// A socket belongs to the namespace it was created in, so only its creation needs to happen
// inside; a short-lived thread does the setns so the caller's threads never move.
int packet_socket_in(const std::string& netns_path) {
    int fd = -1;
    int err = 0;
    std::string failed;
    std::thread t([&] {
        if (!netns_path.empty()) {
            int ns = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
            if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
                err = errno;
                failed = "enter " + netns_path;
                if (ns >= 0) close(ns);
                return;
            }
            close(ns);
        }
        fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ARP));
        if (fd < 0) {
            err = errno;
            failed = "socket(AF_PACKET)";
        }
    });
    t.join();
    if (fd < 0) {
        errno = err;
        throw sys_error(failed);
    }
    return fd;
}

int ifindex_of(int fd, const std::string& dev, unsigned char* mac) {
    ifreq ifr{};
    if (dev.size() >= IFNAMSIZ) throw std::runtime_error("device name too long: " + dev);
    std::strncpy(ifr.ifr_name, dev.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd, SIOCGIFINDEX, &ifr) != 0) throw sys_error("SIOCGIFINDEX " + dev);
    int index = ifr.ifr_ifindex;
    if (mac) {
        if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) throw sys_error("SIOCGIFHWADDR " + dev);
        std::memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    }
    return index;
}

void put_ip(unsigned char* dst, const std::string& ip) {
    if (inet_pton(AF_INET, ip.c_str(), dst) != 1) throw std::runtime_error("bad IPv4: " + ip);
}

}  // namespace

std::string ArpFrame::str() const {
    return std::string(op == ArpOp::request ? "request" : "reply") + " " + sender_ip + " (" +
           sender_mac + ") -> " + target_ip + " (" + target_mac + ")";
}

bool send_arp(const std::string& netns_path, const std::string& dev, ArpOp op,
              const std::string& sender_ip, const std::string& target_ip) {
    int fd = packet_socket_in(netns_path);
    EthArp f{};
    int index = -1;
    try {
        index = ifindex_of(fd, dev, f.sha);
        put_ip(f.spa, sender_ip);
        put_ip(f.tpa, target_ip);
    } catch (...) {
        close(fd);
        throw;
    }
    std::memset(f.eth.ether_dhost, 0xff, 6);
    std::memcpy(f.eth.ether_shost, f.sha, 6);
    f.eth.ether_type = htons(ETH_P_ARP);
    f.arp.ar_hrd = htons(ARPHRD_ETHER);
    f.arp.ar_pro = htons(ETH_P_IP);
    f.arp.ar_hln = 6;
    f.arp.ar_pln = 4;
    f.arp.ar_op = htons(static_cast<unsigned short>(op));

    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(ETH_P_ARP);
    to.sll_ifindex = index;
    to.sll_halen = 6;
    std::memset(to.sll_addr, 0xff, 6);
    ssize_t n = sendto(fd, &f, sizeof f, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    int err = errno;
    close(fd);
    if (n == static_cast<ssize_t>(sizeof f)) return true;
    // What arpsend reports as "sendto: No buffer space available": the egress hook dropped it.
    if (n < 0 && err == ENOBUFS) return false;
    errno = err;
    throw sys_error("sendto on " + dev);
}

ArpCapture::ArpCapture(const std::string& netns_path, const std::string& dev) {
    fd_ = packet_socket_in(netns_path);
    try {
        sockaddr_ll at{};
        at.sll_family = AF_PACKET;
        at.sll_protocol = htons(ETH_P_ARP);
        at.sll_ifindex = ifindex_of(fd_, dev, nullptr);
        if (bind(fd_, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0) {
            throw sys_error("bind packet socket to " + dev);
        }
    } catch (...) {
        close(fd_);
        throw;
    }
}

ArpCapture::~ArpCapture() {
    if (fd_ >= 0) close(fd_);
}

std::vector<ArpFrame> ArpCapture::collect(std::chrono::milliseconds timeout,
                                          const std::function<bool(const ArpFrame&)>& until) {
    std::vector<ArpFrame> out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() < 0) return out;
        pollfd p{fd_, POLLIN, 0};
        int r = poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw sys_error("poll");
        if (r == 0) return out;
        EthArp f{};
        sockaddr_ll from{};
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(fd_, &f, sizeof f, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) throw sys_error("recvfrom");
        if (from.sll_pkttype == PACKET_OUTGOING) continue;
        if (n < static_cast<ssize_t>(sizeof f) || ntohs(f.arp.ar_hrd) != ARPHRD_ETHER ||
            ntohs(f.arp.ar_pro) != ETH_P_IP) {
            continue;
        }
        ArpFrame a;
        a.op = static_cast<ArpOp>(ntohs(f.arp.ar_op));
        a.sender_mac = mac_str(f.sha);
        a.sender_ip = ip_str(f.spa);
        a.target_mac = mac_str(f.tha);
        a.target_ip = ip_str(f.tpa);
        out.push_back(a);
        if (until && until(a)) return out;
    }
}

std::vector<ArpFrame> capture_arp(const std::string& netns_path, const std::string& dev,
                                  std::chrono::milliseconds timeout,
                                  const std::function<bool(const ArpFrame&)>& until) {
    ArpCapture c(netns_path, dev);
    return c.collect(timeout, until);
}

}  // namespace vzlvs::test
