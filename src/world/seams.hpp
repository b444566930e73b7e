// The outside world one run acts on: one object per outside system, each behind its
// interface. Made lazily from the configuration — a converged `check` that needs no director
// never opens a connection, a hook for an unmanaged CT builds nothing — unless a test hands
// in its own (tests/fakes/).
#pragma once

#include <memory>

#include "base/process.hpp"
#include "config/config.hpp"
#include "ct/ct_net.hpp"
#include "ct/manager.hpp"
#include "director/director.hpp"
#include "net/arpguard.hpp"
#include "net/netlink.hpp"

namespace vzlvs {

class Seams {
  public:
    // Parts a test lends (the caller keeps them alive); any left null is made from the
    // configuration at first use and owned here.
    struct Parts {
        ProcessRunner* runner = nullptr;
        ContainerManager* containers = nullptr;
        Netlink* netlink = nullptr;
        ArpGuard* guard = nullptr;
        CtNet* ct_net = nullptr;
        Director* director = nullptr;
    };

    explicit Seams(const Config& cfg) : cfg_(cfg) {}
    Seams(const Config& cfg, Parts lent) : cfg_(cfg), p_(lent), director_made_(lent.director) {}

    ProcessRunner& runner();
    ContainerManager& containers();
    Netlink& netlink();  // the node's namespace
    ArpGuard& guard();
    CtNet& ct_net();
    Director* director();  // nullptr when [director] has no url

  private:
    template <typename T, typename Make>
    static T& use(T*& part, std::unique_ptr<T>& owned, Make make) {
        if (!part) {
            owned = make();
            part = owned.get();
        }
        return *part;
    }

    const Config& cfg_;
    Parts p_;
    bool director_made_ = false;
    std::unique_ptr<ProcessRunner> runner_;
    std::unique_ptr<ContainerManager> containers_;
    std::unique_ptr<Netlink> netlink_;
    std::unique_ptr<ArpGuard> guard_;
    std::unique_ptr<CtNet> ct_net_;
    std::unique_ptr<Director> director_;
};

}  // namespace vzlvs
