#include "vzlvs/net/netlink_cache.hpp"

namespace vzlvs {

namespace {

template <typename T, typename Read>
const T& once(std::optional<T>& slot, Read read) {
    if (!slot) slot = read();
    return *slot;
}

// ip as host_routes() takes it: "a.b.c.d" or "a.b.c.d/32".
std::string host_dst(const std::string& ip) { return ip.substr(0, ip.find('/')) + "/32"; }

}  // namespace

void CachingNetlink::forget() {
    links_.reset();
    routes_.reset();
    route_index_.reset();
    gateways_.reset();
    proxies_.reset();
    addresses_.reset();
}

std::vector<LinkInfo> CachingNetlink::links() {
    return once(links_, [&] { return in_.links(); });
}

std::optional<LinkInfo> CachingNetlink::link(const std::string& name) {
    for (const auto& l : once(links_, [&] { return in_.links(); }))
        if (l.name == name) return l;
    return std::nullopt;
}

void CachingNetlink::set_link_up(const std::string& name) {
    forget();
    in_.set_link_up(name);
}

bool CachingNetlink::create_ipip_device(const std::string& name) {
    forget();
    return in_.create_ipip_device(name);
}

std::vector<std::string> CachingNetlink::addresses(const std::string& dev) {
    const auto& all = once(addresses_, [&] { return in_.all_addresses(); });
    if (auto it = all.find(dev); it != all.end()) return it->second;
    return in_.addresses(dev);  // none, or no such device: the inner answer (or error) says
}

std::map<std::string, std::vector<std::string>> CachingNetlink::all_addresses() {
    return once(addresses_, [&] { return in_.all_addresses(); });
}

void CachingNetlink::add_address(const std::string& dev, const std::string& cidr) {
    forget();
    in_.add_address(dev, cidr);
}

void CachingNetlink::delete_address(const std::string& dev, const std::string& cidr) {
    forget();
    in_.delete_address(dev, cidr);
}

std::vector<RouteInfo> CachingNetlink::host_routes(const std::string& ip) {
    const auto& all = once(routes_, [&] { return in_.all_host_routes(); });
    // Indexed by destination once per dump: a run asks for each VIP of each CT.
    if (!route_index_) {
        route_index_.emplace();
        for (std::size_t i = 0; i < all.size(); ++i) (*route_index_)[all[i].dst].push_back(i);
    }
    std::vector<RouteInfo> out;
    if (auto it = route_index_->find(host_dst(ip)); it != route_index_->end())
        for (std::size_t i : it->second) out.push_back(all[i]);
    return out;
}

std::vector<RouteInfo> CachingNetlink::all_host_routes() {
    return once(routes_, [&] { return in_.all_host_routes(); });
}

std::optional<unsigned> CachingNetlink::default_route_advmss() {
    return in_.default_route_advmss();  // read once per CT, never per VIP: nothing to keep
}

std::vector<std::string> CachingNetlink::gateways() {
    return once(gateways_, [&] { return in_.gateways(); });
}

void CachingNetlink::delete_route(const RouteInfo& route) {
    forget();
    in_.delete_route(route);
}

void CachingNetlink::add_host_route(const std::string& ip, const std::string& dev, unsigned table) {
    forget();
    in_.add_host_route(ip, dev, table);
}

std::vector<ProxyNeigh> CachingNetlink::proxy_neighbours(const std::string& ip) {
    std::vector<ProxyNeigh> out;
    for (const auto& p : once(proxies_, [&] { return in_.proxy_neighbours(""); }))
        if (ip.empty() || p.ip == ip) out.push_back(p);
    return out;
}

void CachingNetlink::delete_proxy_neighbour(const ProxyNeigh& entry) {
    forget();
    in_.delete_proxy_neighbour(entry);
}

void CachingNetlink::add_proxy_neighbour(const std::string& ip, const std::string& dev) {
    forget();
    in_.add_proxy_neighbour(ip, dev);
}

}  // namespace vzlvs
