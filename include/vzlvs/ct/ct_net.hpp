// In-container network state (tunl0, VIP/32, the desired sysctls, their persistence), read and
// changed by templates/ct-net.sh run inside the CT through the container manager's exec:
// legacy OpenVZ offers no other way in. The script's output comes from a container whose
// root may be hostile: it is bounded, and every field is parsed once into a typed value here.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vzlvs/ct/manager.hpp"

namespace vzlvs {

struct CtNetState {
    enum class Persist { ok, missing, differs };

    bool tunl0 = false;
    std::string kind;  // "ipip" on a real node
    bool up = false;
    std::optional<unsigned> mtu;
    std::vector<std::string> addrs;                             // "192.0.2.10/32"
    std::map<std::string, std::optional<std::string>> sysctls;  // key → value; nullopt: unreadable
    std::optional<unsigned> fb_tunnels;  // net.core.fb_tunnels_only_for_init_net
    Persist persist = Persist::missing;  // /etc/sysctl.d/zz-vzlvs.conf
    std::vector<std::string> venet;      // addresses on the CT's venet0
    std::optional<unsigned> advmss;      // of the CT's default route, when set

    bool has_addr(const std::string& vip) const;
    // Empty when every VIP is served as LVS-TUN needs it; otherwise what is wrong, in words.
    // check_kind = false leaves out "tunl0 is not ipip" (reported by its own step, and
    // nothing vzlvs can change).
    std::string problems(const std::vector<std::string>& vips, bool check_kind = true) const;
    std::string summary() const;  // "tunl0 ipip up, 192.0.2.10/32, rp_filter all=0 tunl0=0"
};

const char* to_string(CtNetState::Persist p);  // "ok", "missing", "differs"

// Output larger than this is refused, not parsed: the script prints well under 4 KiB.
constexpr std::size_t kCtNetOutputMax = 64 * 1024;

// Parses ct-net.sh's `key=value` lines with the rows of ct/ct_fields.cpp. Throws Error for a
// value that does not parse, naming the field; unknown keys are ignored (an older or newer
// script).
CtNetState parse_ct_net_output(const std::string& out);

// templates/ct-net.sh with the container rows of the desired-sysctl table filled in.
std::string ct_net_script();

// Where the container's sysctls are persisted, and the text vzlvs keeps there (ending in a
// newline). A file holds it when its text, trailing newlines aside, is this one's (the
// script compares $(cat FILE) with it).
constexpr const char* kCtPersistFile = "/etc/sysctl.d/zz-vzlvs.conf";
std::string ct_persist_text();
CtNetState::Persist persist_state(const std::optional<std::string>& file_text);

class CtNet {
  public:
    virtual ~CtNet() = default;
    virtual CtNetState observe(const std::string& ctid, const std::vector<std::string>& vips) = 0;
    // Reads these CTs' state ahead, several at once where that is cheap (HostCtNet); the next
    // observe() of one of them answers from that read, unless forget() came first. A read
    // that fails here is made again by observe(), which reports it. Nothing by default.
    virtual void read_ahead(const std::vector<std::string>& /*ctids*/) {}
    virtual void forget(const std::string& /*ctid*/) {}
    virtual CtNetState apply(const std::string& ctid, const std::vector<std::string>& vips) = 0;
    virtual CtNetState remove(const std::string& ctid, const std::vector<std::string>& vips) = 0;
    // How `action` reaches the CT, for plans: "vzctl exec2 101 sh -c <ct-net.sh> ...".
    virtual std::string describe(const std::string& action, const std::string& ctid,
                                 const std::vector<std::string>& vips) const = 0;
};

// Runs ct-net.sh through ContainerManager::exec.
class ExecCtNet : public CtNet {
  public:
    explicit ExecCtNet(ContainerManager& containers) : containers_(containers) {}
    CtNetState observe(const std::string& ctid, const std::vector<std::string>& vips) override;
    CtNetState apply(const std::string& ctid, const std::vector<std::string>& vips) override;
    CtNetState remove(const std::string& ctid, const std::vector<std::string>& vips) override;
    std::string describe(const std::string& action, const std::string& ctid,
                         const std::vector<std::string>& vips) const override;

  private:
    CtNetState run(const std::string& action, const std::string& ctid,
                   const std::vector<std::string>& vips);
    ContainerManager& containers_;
};

// The CTID.start block: the same script, run by vzctl inside the CT at every start before
// init, so tunl0 and the VIPs are back before any service starts.
std::string ct_start_block(const std::vector<std::string>& vips);

}  // namespace vzlvs
