// IPv4 addresses and interface names, each parsed by one rule everywhere: the config, the
// drivers, the ARP guard, netlink and the probe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vzlvs {

// A strict dotted quad: four decimal numbers 0-255 without leading zeros, the form vzctl, ip
// and the config write; host byte order. nullopt for anything else.
std::optional<uint32_t> parse_ipv4(std::string_view text);
std::string format_ipv4(uint32_t host_order);

// "a.b.c.d" (length 32) or "a.b.c.d/len" (0 to 32, no leading zeros).
struct Ipv4Prefix {
    uint32_t addr = 0;
    unsigned len = 32;
};
std::optional<Ipv4Prefix> parse_ipv4_prefix(std::string_view text);

// An interface name vzlvs accepts anywhere: 1 to 15 of A-Z a-z 0-9 _ . -, not "." or "..".
// Stricter than the kernel's dev_valid_name, because the ARP guard splices uplink names into
// nft identifiers and tc argv; a name the config accepts is one the guard can use.
bool is_interface_name(std::string_view name);
inline constexpr const char* kInterfaceNameRule = "1 to 15 of A-Z a-z 0-9 _ . -, not . or ..";

}  // namespace vzlvs
