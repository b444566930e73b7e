// A Netlink with the node's tables in memory: links, addresses, routes, proxy entries.
// Deletions are recorded in Events as "netlink delete route|proxy ...".
#pragma once

#include <algorithm>

#include "fakes/events.hpp"
#include "vzlvs/net/netlink.hpp"

namespace vzlvs::fakes {

class FakeNetlink : public Netlink {
  public:
    explicit FakeNetlink(Events& events) : events_(events) {}

    std::vector<LinkInfo> link_table;
    std::map<std::string, std::vector<std::string>> addr_table;  // dev → "a.b.c.d/n"
    std::vector<RouteInfo> route_table;
    std::vector<std::string> gateway_table;
    std::vector<ProxyNeigh> proxy_table;

    // What vzctl's vps-net_add leaves for an IP: a route on venet, a proxy entry per uplink.
    void add_leak(const std::string& ip, const std::string& venet, const std::string& uplink) {
        RouteInfo r;
        r.table = 254;
        r.dst = ip + "/32";
        r.dev = venet;
        route_table.push_back(r);
        proxy_table.push_back({ip, uplink, 0});
    }

    std::vector<LinkInfo> links() override { return link_table; }
    std::optional<LinkInfo> link(const std::string& name) override {
        for (const auto& l : link_table)
            if (l.name == name) return l;
        return std::nullopt;
    }
    void set_link_up(const std::string& name) override {
        for (auto& l : link_table)
            if (l.name == name) l.up = true;
    }
    bool create_ipip_device(const std::string& name) override {
        if (link(name)) return false;
        LinkInfo l;
        l.name = name;
        l.kind = "ipip";
        link_table.push_back(l);
        return true;
    }
    std::vector<std::string> addresses(const std::string& dev) override { return addr_table[dev]; }
    std::map<std::string, std::vector<std::string>> all_addresses() override {
        std::map<std::string, std::vector<std::string>> out;
        for (const auto& [dev, a] : addr_table)
            if (!a.empty()) out[dev] = a;
        return out;
    }
    void add_address(const std::string& dev, const std::string& cidr) override {
        addr_table[dev].push_back(cidr);
    }
    void delete_address(const std::string& dev, const std::string& cidr) override {
        auto& a = addr_table[dev];
        a.erase(std::remove(a.begin(), a.end(), cidr), a.end());
    }
    std::vector<RouteInfo> host_routes(const std::string& ip) override {
        std::vector<RouteInfo> out;
        for (const auto& r : route_table)
            if (r.dst == ip + "/32") out.push_back(r);
        return out;
    }
    std::vector<RouteInfo> all_host_routes() override {
        std::vector<RouteInfo> out;
        for (const auto& r : route_table)
            if (r.dst.size() > 3 && r.dst.compare(r.dst.size() - 3, 3, "/32") == 0)
                out.push_back(r);
        return out;
    }
    std::optional<unsigned> default_advmss;
    std::optional<unsigned> default_route_advmss() override { return default_advmss; }
    std::vector<std::string> gateways() override { return gateway_table; }
    void delete_route(const RouteInfo& route) override {
        events_.add("netlink delete route " + route.dst + " dev " + route.dev);
        route_table.erase(std::remove_if(route_table.begin(), route_table.end(),
                                         [&](const RouteInfo& r) {
                                             return r.dst == route.dst && r.dev == route.dev &&
                                                    r.table == route.table;
                                         }),
                          route_table.end());
    }
    void add_host_route(const std::string& ip, const std::string& dev, unsigned table) override {
        RouteInfo r;
        r.table = table;
        r.dst = ip + "/32";
        r.dev = dev;
        route_table.push_back(r);
    }
    std::vector<ProxyNeigh> proxy_neighbours(const std::string& ip) override {
        std::vector<ProxyNeigh> out;
        for (const auto& p : proxy_table)
            if (ip.empty() || p.ip == ip) out.push_back(p);
        return out;
    }
    void delete_proxy_neighbour(const ProxyNeigh& e) override {
        events_.add("netlink delete proxy " + e.ip + " dev " + e.dev);
        proxy_table.erase(
            std::remove_if(proxy_table.begin(), proxy_table.end(),
                           [&](const ProxyNeigh& p) { return p.ip == e.ip && p.dev == e.dev; }),
            proxy_table.end());
    }
    void add_proxy_neighbour(const std::string& ip, const std::string& dev) override {
        proxy_table.push_back({ip, dev, 0});
    }

  private:
    Events& events_;
};

}  // namespace vzlvs::fakes
