// In-container state, one row per field, as net/desired_sysctls.cpp is for sysctls. A row is
// all vzlvs knows of one field:
// - the key ct-net.sh prints it under, and the sh that prints it there (ct-net.sh's observe
//   is these snippets, in row order: ct_observe_script());
// - how the host reads the same values from outside the CT (OpenVZ 7, ct/ct_net_host.cpp),
//   printed exactly as the script prints them, so that both go through the row's one parser;
// - the parser, which turns one printed value into the typed field of CtNetState;
// - what is wrong when the field does not hold, in words (CtNetState::problems()).
// tests/unit/ct_fields_test.cpp runs the script and the host reader side by side, row by row.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vzlvs/base/files.hpp"
#include "vzlvs/ct/ct_net.hpp"
#include "vzlvs/ct/ct_net_host.hpp"
#include "vzlvs/net/netlink.hpp"

namespace vzlvs {

// What the host-side reader has open of one CT: its network namespace (this thread is in it)
// and its root. Each is looked at once, whichever rows ask.
class CtHostView {
  public:
    virtual ~CtHostView() = default;
    virtual const std::optional<LinkInfo>& tunl0() = 0;
    virtual std::vector<std::string> addresses(const std::string& dev) = 0;  // "A.B.C.D/N"
    virtual std::string sysctl(const std::string& key) = 0;  // the CT's, "-" when unreadable
    // The node's own: the kernel keeps some sysctls for the initial namespace only.
    virtual std::string node_sysctl(const std::string& key) = 0;
    virtual std::optional<unsigned> default_route_advmss() = 0;
    virtual const ReadBeneath& persisted() = 0;  // kCtPersistFile under the CT's root
};

// What a CT must hold, for CtField::problems.
struct CtWanted {
    const std::vector<std::string>& vips;
    bool check_kind;  // false: "tunl0 is not ipip" is reported by a step of its own
};

struct CtField {
    std::string key;
    std::string shell;  // prints `key=value` lines, in ct-net.sh's observe
    std::function<std::vector<std::string>(CtHostView&)> host;         // the same values
    std::function<void(CtNetState&, const std::string& value)> parse;  // one printed value
    std::function<void(const CtNetState&, const CtWanted&, std::vector<std::string>&)> problems{};
};

const std::vector<CtField>& ct_fields();

// The node's sysctls the rows ask CtHostView::node_sysctl for.
const std::vector<std::string>& ct_node_sysctls();

// The body of ct-net.sh's observe(): every row's snippet, in order.
std::string ct_observe_script();

// A sysctl of the state as ct-net.sh prints it: "-" unreadable, "?" when no row was printed.
std::string sysctl_text(const CtNetState& s, const std::string& key);

// The state the host reads through `view`, through the rows' parsers.
CtNetState read_ct_fields(CtHostView& view);

// f(the host-side view of the network namespace this thread is in and of root_path), as
// HostCtNet reads a CT (ct/ct_net_host.cpp). Throws Error when the root cannot be opened.
void with_host_view(const std::string& root_path, const NodeSysctls& node,
                    const std::function<void(CtHostView&)>& f);

}  // namespace vzlvs
