#include "vzlvs/net/tunnel_probe.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

namespace vzlvs {

namespace {

using Clock = std::chrono::steady_clock;

// Resends of the inner packet within the timeout, as a lost first SYN is retransmitted.
constexpr int kSends = 3;
// Packets of other flows read while waiting, at most: a busy node cannot keep the probe
// reading past its deadline.
constexpr int kMaxForeignPackets = 100000;

struct Socket {
    int fd = -1;
    explicit Socket(int f) : fd(f) {}
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket() {
        if (fd >= 0) ::close(fd);
    }
};

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

sockaddr_in sockaddr_of(uint32_t host_order, uint16_t port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(host_order);
    sa.sin_port = htons(port);
    return sa;
}

// The address the node sends from towards the CT: the CT's replies come back to it over venet.
std::optional<uint32_t> source_towards(uint32_t ct, std::string& why) {
    Socket s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (s.fd < 0) return why = errno_text("socket"), std::nullopt;
    sockaddr_in to = sockaddr_of(ct, 9);
    if (::connect(s.fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0)
        return why = errno_text("no route to the CT's address " + format_ipv4(ct)), std::nullopt;
    sockaddr_in me{};
    socklen_t len = sizeof me;
    if (::getsockname(s.fd, reinterpret_cast<sockaddr*>(&me), &len) != 0)
        return why = errno_text("getsockname"), std::nullopt;
    return ntohl(me.sin_addr.s_addr);
}

std::string ms_since(Clock::time_point t0) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    return std::to_string(ms) + " ms";
}

}  // namespace

bool kernel_has_ipip() { return std::filesystem::exists("/sys/module/ipip"); }

ProbeResult RawTunnelProber::probe(const ProbeTarget& t) {
    const std::string where = t.vip + ":" + std::to_string(t.port) + (t.tcp ? "/tcp" : "/udp");
    if (!kernel_has_ipip())
        return {false,
                "ipip not supported by this kernel (no /sys/module/ipip; `vzlvs "
                "bootstrap` loads it where the kernel has it): the CT cannot "
                "decapsulate the director's packets"};
    const auto ct = parse_ipv4(t.ct_address);
    const auto vip = parse_ipv4(t.vip);
    if (!ct || !vip) return {false, "not IPv4: " + t.ct_address + " / " + t.vip};
    std::string why;
    const auto src = source_towards(*ct, why);
    if (!src) return {false, why};

    // Not for secrecy: a flow of our own among the node's packets. Seeded without
    // getrandom(2), which Linux 3.10 lacks.
    std::mt19937 rng(static_cast<uint32_t>(Clock::now().time_since_epoch().count()) ^
                     static_cast<uint32_t>(::getpid()));
    const ProbeFlow flow{*src, *vip, static_cast<uint16_t>(32768 + rng() % 28232), t.port};
    const uint32_t seq = static_cast<uint32_t>(rng());
    uint16_t ip_id = static_cast<uint16_t>(rng());

    Socket tx(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_IPIP));
    Socket rx(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, t.tcp ? IPPROTO_TCP : IPPROTO_UDP));
    if (tx.fd < 0 || rx.fd < 0)
        return {false, errno_text("raw socket (vzlvs needs CAP_NET_RAW, i.e. root)")};
    const sockaddr_in to = sockaddr_of(*ct, 0);
    auto send = [&](const Bytes& inner) {
        return ::sendto(tx.fd, inner.data(), inner.size(), 0,
                        reinterpret_cast<const sockaddr*>(&to),
                        sizeof to) == static_cast<ssize_t>(inner.size());
    };
    auto request = [&] {
        return t.tcp ? tcp_syn_packet(flow, seq, ip_id++) : udp_packet(flow, t.payload, ip_id++);
    };

    const auto t0 = Clock::now();
    const auto deadline = t0 + t.timeout;
    const auto resend_every = t.timeout / kSends;
    auto next_send = t0;
    int sends = 0, foreign = 0;
    uint8_t buf[2048];
    while (Clock::now() < deadline && foreign < kMaxForeignPackets) {
        if (sends < kSends && Clock::now() >= next_send) {
            if (!send(request())) return {false, errno_text("sending IP-in-IP to " + t.ct_address)};
            ++sends;
            next_send += resend_every;
        }
        const auto until = sends < kSends ? std::min(next_send, deadline) : deadline;
        const auto wait =
            std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
        pollfd p{rx.fd, POLLIN, 0};
        const int n = ::poll(&p, 1, static_cast<int>(std::max<long long>(wait, 0)));
        if (n < 0 && errno != EINTR) return {false, errno_text("poll")};
        if (n <= 0) continue;
        const ssize_t len = ::recv(rx.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (len < 0) continue;
        switch (classify_reply(buf, static_cast<std::size_t>(len), flow, seq, t.tcp)) {
            case ProbeReply::none:
                ++foreign;
                break;
            case ProbeReply::syn_ack:
                // The CT keeps a half-open connection until told: the reset goes the
                // request's way (the node's own RST would go to the director, the VIP's
                // holder, and never reach the CT).
                send(tcp_rst_packet(flow, seq + 1, ip_id++));
                return {true, "SYN-ACK from " + where + " through the tunnel to " + t.ct_address +
                                  " in " + ms_since(t0)};
            case ProbeReply::udp:
                return {true, "a reply from " + where + " through the tunnel to " + t.ct_address +
                                  " in " + ms_since(t0)};
            case ProbeReply::reset:
                return {false,
                        "the CT answered from the VIP through the tunnel, but nothing "
                        "listens on " +
                            where + " (RST): start the service in the CT"};
        }
    }
    return {false,
            "no answer from " + where + " within " + ms_since(t0) + " through the tunnel to " +
                t.ct_address +
                ": the CT drops what the director sends it (tunl0 down or without the VIP, "
                "rp_filter, no ipip feature) or its answers from the VIP (venet: the VIP is not "
                "a CT address)" +
                (t.tcp ? "" : ", or the service ignored the probe's payload")};
}

}  // namespace vzlvs
