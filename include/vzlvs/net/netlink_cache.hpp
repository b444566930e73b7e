// A Netlink that reads each table once and answers every lookup from that copy until
// something changes: one dump of links, /32 routes, gateways and proxy entries per run,
// however many containers the run looks at (a per-VIP dump made a run over N containers cost
// N dumps of N routes). Writes go through and drop the copy; so does forget(), which a run
// calls whenever anything else may have changed the node (a step applied, vzctl ran).
#pragma once

#include <map>
#include <optional>
#include <unordered_map>

#include "vzlvs/net/netlink.hpp"

namespace vzlvs {

class CachingNetlink : public Netlink {
  public:
    explicit CachingNetlink(Netlink& inner) : in_(inner) {}

    void forget();

    std::vector<LinkInfo> links() override;
    std::optional<LinkInfo> link(const std::string& name) override;
    void set_link_up(const std::string& name) override;
    bool create_ipip_device(const std::string& name) override;
    std::vector<std::string> addresses(const std::string& dev) override;
    std::map<std::string, std::vector<std::string>> all_addresses() override;
    void add_address(const std::string& dev, const std::string& cidr) override;
    void delete_address(const std::string& dev, const std::string& cidr) override;
    std::vector<RouteInfo> host_routes(const std::string& ip) override;
    std::vector<RouteInfo> all_host_routes() override;
    std::optional<unsigned> default_route_advmss() override;
    std::vector<std::string> gateways() override;
    void delete_route(const RouteInfo& route) override;
    void add_host_route(const std::string& ip, const std::string& dev, unsigned table) override;
    std::vector<ProxyNeigh> proxy_neighbours(const std::string& ip) override;
    void delete_proxy_neighbour(const ProxyNeigh& entry) override;
    void add_proxy_neighbour(const std::string& ip, const std::string& dev) override;

  private:
    Netlink& in_;
    std::optional<std::vector<LinkInfo>> links_;
    std::optional<std::vector<RouteInfo>> routes_;
    std::optional<std::unordered_map<std::string, std::vector<std::size_t>>> route_index_;
    std::optional<std::vector<std::string>> gateways_;
    std::optional<std::vector<ProxyNeigh>> proxies_;
    std::optional<std::map<std::string, std::vector<std::string>>> addresses_;
};

}  // namespace vzlvs
