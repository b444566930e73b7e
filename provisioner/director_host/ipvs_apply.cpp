#include "vzlvs/director_host/ipvs_apply.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <sstream>

#include "vzlvs/base/files.hpp"
#include "vzlvs/base/state_dir.hpp"
#include "vzlvs/base/strings.hpp"

namespace vzlvs {

std::string IpvsChange::describe() const {
    switch (op) {
        case Op::add_service:
            return "add service " + service.key() + " " + service.scheduler;
        case Op::edit_service:
            return "set service " + service.key() + " scheduler " + service.scheduler;
        case Op::del_service:
            return "delete service " + service.key();
        case Op::add_dest:
            return "add " + dest.key() + " " + dest.method + " weight " +
                   std::to_string(dest.weight) + " to " + service.key();
        case Op::edit_dest:
            return "set " + dest.key() + " of " + service.key() + " to " + dest.method +
                   " weight " + std::to_string(dest.weight);
        case Op::del_dest:
            return "delete " + dest.key() + " from " + service.key();
    }
    return "";
}

std::vector<IpvsEntry> ipvs_wanted(const Fleet& fleet) {
    std::vector<IpvsEntry> out;
    for (const auto& [id, fs] : fleet.services) {
        if (fs.backends.empty()) continue;
        IpvsEntry e;
        e.service = {fs.service.vip, fs.service.port, fs.service.protocol, fs.service.scheduler};
        for (const auto& [bid, b] : fs.backends)
            e.dests.push_back({b.host, b.port, Fleet::weight_of(b), b.method});
        out.push_back(e);
    }
    return out;
}

std::vector<IpvsChange> ipvs_changes(const std::vector<IpvsEntry>& current, const Fleet& fleet,
                                     const std::set<std::string>& owned) {
    using Op = IpvsChange::Op;
    std::vector<IpvsChange> out;
    const std::vector<IpvsEntry> wanted = ipvs_wanted(fleet);
    std::map<std::string, const IpvsEntry*> have, want;
    for (const auto& e : current) have[e.service.key()] = &e;
    for (const auto& e : wanted) want[e.service.key()] = &e;
    // What the fleet names is vzlvs's whatever made it; what vzlvs made and the fleet dropped
    // goes. The fleet's services without backends go too (see ipvs_wanted).
    std::set<std::string> mine = owned;
    for (const auto& [key, fs] : fleet.services)
        mine.insert(IpvsService{fs.service.vip, fs.service.port, fs.service.protocol, ""}.key());
    for (const auto& [key, e] : have)
        if (mine.count(key) && !want.count(key)) out.push_back({Op::del_service, e->service, {}});
    for (const auto& [key, w] : want) {
        const auto h = have.find(key);
        if (h == have.end()) {
            out.push_back({Op::add_service, w->service, {}});
            for (const auto& d : w->dests) out.push_back({Op::add_dest, w->service, d});
            continue;
        }
        if (h->second->service.scheduler != w->service.scheduler)
            out.push_back({Op::edit_service, w->service, {}});
        std::map<std::string, const IpvsDest*> hd;
        for (const auto& d : h->second->dests) hd[d.key()] = &d;
        std::set<std::string> wd;
        for (const auto& d : w->dests) {
            wd.insert(d.key());
            const auto x = hd.find(d.key());
            if (x == hd.end())
                out.push_back({Op::add_dest, w->service, d});
            else if (x->second->weight != d.weight || x->second->method != d.method)
                out.push_back({Op::edit_dest, w->service, d});
        }
        for (const auto& [k, d] : hd)
            if (!wd.count(k)) out.push_back({Op::del_dest, w->service, *d});
    }
    return out;
}

IpvsApply::IpvsApply(Ipvs& ipvs, std::filesystem::path owned_file)
    : ipvs_(ipvs), owned_file_(std::move(owned_file)) {}

bool IpvsApply::apply(const Fleet& fleet) {
    std::set<std::string> owned;
    const std::string owned_text = read_file(owned_file_).value_or("");
    {
        std::istringstream in(owned_text);
        for (std::string line; std::getline(in, line);)
            if (!trim(line).empty()) owned.insert(trim(line));
    }
    const auto changes = ipvs_changes(ipvs_.dump(), fleet, owned);
    // What vzlvs owns from now on, written before the changes: a run cut short by a failure
    // still knows what it may have made.
    // Those it is about to delete stay listed until they are gone.
    std::set<std::string> keep;
    for (const auto& e : ipvs_wanted(fleet)) keep.insert(e.service.key());
    for (const auto& c : changes)
        if (c.op == IpvsChange::Op::del_service) keep.insert(c.service.key());
    std::string list;
    for (const auto& k : keep) list += k + "\n";
    if (owned_text != list) {
        ensure_private_dir(owned_file_.parent_path());
        atomic_write(owned_file_, list, 0600);
    }
    using Op = IpvsChange::Op;
    for (const auto& c : changes) {
        spdlog::info("ipvs: {}", c.describe());
        switch (c.op) {
            case Op::add_service:
                ipvs_.add_service(c.service);
                break;
            case Op::edit_service:
                ipvs_.edit_service(c.service);
                break;
            case Op::del_service:
                ipvs_.del_service(c.service);
                break;
            case Op::add_dest:
                ipvs_.add_dest(c.service, c.dest);
                break;
            case Op::edit_dest:
                ipvs_.edit_dest(c.service, c.dest);
                break;
            case Op::del_dest:
                ipvs_.del_dest(c.service, c.dest);
                break;
        }
    }
    return !changes.empty();
}

}  // namespace vzlvs
