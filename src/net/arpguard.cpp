// The backend-neutral parts of the ARP guard: validation, backend choice, `check` reporting.
#include "net/arpguard.hpp"

#include <arpa/inet.h>

#include <cctype>

#include "base/process.hpp"
#include "base/strings.hpp"
#include "net/arpguard_detail.hpp"

namespace vzlvs {

namespace {

std::string spaced(const std::vector<std::string>& v) { return join(v, " "); }

}  // namespace

const char* to_string(ArpGuardBackend b) {
    switch (b) {
        case ArpGuardBackend::autodetect:
            return "autodetect";
        case ArpGuardBackend::nft:
            return "nft";
        case ArpGuardBackend::tc:
            return "tc";
    }
    return "?";
}

std::string GuardChanges::str() const {
    if (empty()) return "no change";
    std::vector<std::string> parts;
    if (!added_vips.empty()) parts.push_back("added VIPs " + spaced(added_vips));
    if (!added_devices.empty()) parts.push_back("guarded uplinks " + spaced(added_devices));
    if (!repaired_devices.empty()) parts.push_back("repaired uplinks " + spaced(repaired_devices));
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
    return out;
}

std::string GuardReport::str() const {
    std::string out;
    for (const auto& m : missing) out += "NOT guarded: " + m + "\n";
    for (const auto& g : guarded) out += "guarded: " + g + "\n";
    return out;
}

GuardReport describe_guard(const GuardState& state, const std::vector<std::string>& uplinks,
                           const std::vector<std::string>& vips) {
    GuardReport r;
    if (uplinks.empty() && !vips.empty()) {
        r.missing.push_back(
            "no uplink configured or detected, so no device drops the VIP announcements");
    }
    for (const auto& dev : uplinks) {
        auto d = state.devices.find(dev);
        for (const auto& vip : vips) {
            std::string pair = vip + " on " + dev;
            if (d != state.devices.end() && d->second.count(vip)) {
                r.guarded.push_back(pair);
            } else if (state.damaged.count(dev)) {
                r.missing.push_back(pair + ": the vzlvs rules on " + dev +
                                    " were altered; `vzlvs` will rewrite them");
            } else if (d == state.devices.end()) {
                r.missing.push_back(pair + ": no vzlvs ARP filter on " + dev +
                                    ", so vzctl's arpsend and proxy ARP reach the LAN");
            } else {
                r.missing.push_back(pair + ": the VIP is not in the guard's set");
            }
        }
    }
    return r;
}

namespace arpguard_detail {

void check_uplink_name(const std::string& name) {
    // Stricter than the kernel's dev_valid_name: the name is spliced into nft chain
    // identifiers ([A-Za-z0-9_./-] after a letter), so anything else is refused up front.
    bool ok = !name.empty() && name.size() <= 15 && name != "." && name != "..";
    for (char c : name) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) {
            ok = false;
        }
    }
    if (!ok) {
        throw UsageError(
            "uplink name '" + name +
            "' is not usable for the ARP guard: expected 1 to 15 of A-Z a-z 0-9 _ . -");
    }
}

std::string check_vip(const std::string& vip) {
    in_addr a{};
    if (vip.size() > 15 || inet_pton(AF_INET, vip.c_str(), &a) != 1) {
        throw UsageError("VIP '" + vip + "' is not a dotted-quad IPv4 address");
    }
    if (a.s_addr == 0) throw UsageError("VIP 0.0.0.0 cannot be guarded");
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
}

}  // namespace arpguard_detail

std::unique_ptr<ArpGuard> make_arp_guard(ProcessRunner& runner, ArpGuardBackend backend) {
    using namespace arpguard_detail;
    switch (backend) {
        case ArpGuardBackend::nft:
            return make_nft_guard(runner);
        case ArpGuardBackend::tc:
            return make_tc_guard(runner, detect_tc_flavor());
        case ArpGuardBackend::autodetect:
            break;
    }
    if (nft_netdev_egress_available(runner)) return make_nft_guard(runner);
    try {
        require_tc_drop(runner);
    } catch (const Error& e) {
        throw Error(
            "no way to filter ARP at the uplink: nftables netdev egress is not available "
            "(needs nft and Linux >= 5.16 with CONFIG_NETFILTER_EGRESS) and tc cannot drop (" +
            std::string(e.what()) +
            "). arptables or an nft arp-family table would NOT stop vzctl's arpsend, which writes "
            "on "
            "a raw packet socket; see docs/arp-guard.md");
    }
    return make_tc_guard(runner, detect_tc_flavor());
}

}  // namespace vzlvs
