// /proc/sys reads and writes for net.ipv4.conf.* (per network namespace: the values seen are
// those of the calling thread's namespace, see in_netns()).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace vzlvs {

// "net.ipv4.conf.all.rp_filter" → /proc/sys/net/ipv4/conf/all/rp_filter.
// Device names may contain dots ("eth0.100"), so for the per-device families
// net.ipv4.conf, net.ipv6.conf, net.ipv4.neigh and net.ipv6.neigh everything between the
// family prefix and the last component is the device name, kept verbatim:
// "net.ipv4.conf.eth0.100.rp_filter" → /proc/sys/net/ipv4/conf/eth0.100/rp_filter.
// Other keys have every dot turned into a slash. A key containing '/' is taken as a path
// below /proc/sys as it is (sysctl(8)'s own escape for dotted names).
std::filesystem::path sysctl_path(const std::string& key);

// "net.ipv4.conf.<dev>.<leaf>", for callers that hold a device name.
std::string ipv4_conf_key(const std::string& dev, const std::string& leaf);

// The value without its trailing newline; nullopt when the key does not exist (e.g. no such
// device in this namespace). Other failures throw Error.
std::optional<std::string> sysctl_read(const std::string& key);
void sysctl_write(const std::string& key, const std::string& value);  // throws Error

// The rp_filter the kernel applies on a device: max(all, dev). nullopt when the device has
// no conf directory here.
std::optional<int> effective_rp_filter(const std::string& dev);

}  // namespace vzlvs
