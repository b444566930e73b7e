// The libnl-route-3 Netlink, one socket in one network namespace. Its members are defined
// by family: devices and addresses in netlink.cpp, routes in netlink_routes.cpp, proxy
// neighbours in netlink_proxy.cpp.
#pragma once

#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/netlink_socket.hpp"

namespace vzlvs {
namespace detail {

std::string addr_str(nl_addr* a);
// ip ("a.b.c.d" or "a.b.c.d/len") → nl_addr; a plain address gets prefix length 32.
NlAddr nl_ipv4(const std::string& text, const std::string& for_what);

class LibnlNetlink final : public Netlink {
  public:
    explicit LibnlNetlink(const std::string& netns_path)
        : ns_(netns_path), sock_(open_route_socket(netns_path, "route changes")) {}

    std::vector<LinkInfo> links() override;
    std::optional<LinkInfo> link(const std::string& name) override;
    void set_link_up(const std::string& name) override;
    bool create_ipip_device(const std::string& name) override;
    std::vector<std::string> addresses(const std::string& dev) override;
    std::map<std::string, std::vector<std::string>> all_addresses() override;

    // Every IPv4 address, one dump: fn(ifindex, "a.b.c.d/len").
    void each_address(const std::function<void(int, std::string)>& fn);
    void add_address(const std::string& dev, const std::string& cidr) override;
    void delete_address(const std::string& dev, const std::string& cidr) override;
    std::vector<RouteInfo> host_routes(const std::string& ip) override;
    std::vector<RouteInfo> all_host_routes() override { return dump_host_routes(nullptr); }

    // Every /32 route, or only those to `want`.
    std::vector<RouteInfo> dump_host_routes(nl_addr* want);
    std::optional<unsigned> default_route_advmss() override;
    std::vector<std::string> gateways() override;
    void delete_route(const RouteInfo& route) override;
    void add_host_route(const std::string& ip, const std::string& dev, unsigned table) override;
    std::vector<ProxyNeigh> proxy_neighbours(const std::string& ip) override;
    void delete_proxy_neighbour(const ProxyNeigh& entry) override;
    void add_proxy_neighbour(const std::string& ip, const std::string& dev) override;

  private:
    std::string ns() const { return ns_label(ns_); }

    NlCache link_cache(const std::string& purpose);

    // nullptr when absent. libnl answers -NLE_NODEV for a missing name.
    RtLink find_link(const std::string& name);
    RtLink require_link(const std::string& name, const std::string& action);
    int require_ifindex(const std::string& name, const std::string& action);
    RtAddr address_object(const std::string& dev, const std::string& cidr,
                          const std::string& action);
    RtNeigh proxy_object(const std::string& ip, int ifindex);
    bool still_present(const RouteInfo& route);
    struct DumpState {
        std::vector<ProxyNeigh>* out;
        std::exception_ptr failure;
    };

    static int on_proxy(nl_msg* msg, void* arg);

    std::vector<ProxyNeigh> dump_proxies();

    std::string ns_;

    NlSock sock_;
};

}  // namespace detail
}  // namespace vzlvs
