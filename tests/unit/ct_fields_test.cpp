// The table of in-CT state (provisioner/ct/ct_fields.cpp): ct-net.sh's observe and the
// host-side reader say the same, row by row, of the machine the test runs on; and the rows
// alone decide what is parsed and what is wrong.
#include "ct/ct_fields.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "vzlvs/base/process.hpp"

namespace vzlvs {
namespace {

using testing::HasSubstr;

// key → the values ct-net.sh's observe prints under it, in order.
std::map<std::string, std::vector<std::string>> script_observe() {
    auto runner = make_process_runner();
    RunOptions o;
    o.timeout = std::chrono::seconds(30);
    const RunResult r = runner->run({"sh", "-c", ct_net_script(), "vzlvs-ct-net", "observe"}, o);
    EXPECT_TRUE(r.ok()) << r.err;
    std::map<std::string, std::vector<std::string>> by_key;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        const auto eq = line.find('=');
        EXPECT_NE(eq, std::string::npos) << "not key=value: " << line;
        if (eq != std::string::npos) by_key[line.substr(0, eq)].push_back(line.substr(eq + 1));
    }
    return by_key;
}

TEST(CtFields, ScriptAndHostReaderAgreeRowByRow) {
    const auto script = script_observe();
    std::set<std::string> keys;
    with_host_view("/", read_node_sysctls(), [&](CtHostView& view) {
        for (const auto& row : ct_fields()) {
            keys.insert(row.key);
            const auto it = script.find(row.key);
            const std::vector<std::string> printed =
                it == script.end() ? std::vector<std::string>{} : it->second;
            EXPECT_EQ(row.host(view), printed) << "row " << row.key;
        }
    });
    for (const auto& [key, values] : script)
        EXPECT_TRUE(keys.count(key)) << "the script prints " << key << ", which no row has";
}

TEST(CtFields, TheScriptsObserveIsTheRowsSnippetsInOrder) {
    const std::string script = ct_net_script();
    std::size_t at = 0;
    for (const auto& row : ct_fields()) {
        const std::string first = row.shell.substr(0, row.shell.find('\n'));
        const std::size_t found = script.find("    " + first, at);
        ASSERT_NE(found, std::string::npos) << "row " << row.key << " is not in ct-net.sh";
        at = found;
    }
}

TEST(CtFields, ParsedStateGoesThroughTheRowsAndTheirProblems) {
    CtNetState s = parse_ct_net_output("tunl0=absent\npersist=missing\n");
    const std::string p = s.problems({"192.0.2.10"});
    // Row order: tunl0 first (and nothing of kind, up or addresses without one), the
    // sysctls, the persisted file last.
    EXPECT_EQ(p.rfind("no tunl0 in the container (ipip feature not effective); ", 0), 0u) << p;
    EXPECT_THAT(p, testing::Not(HasSubstr("not on tunl0")));
    EXPECT_THAT(p, HasSubstr("net.ipv4.conf.all.rp_filter=?, want 0"));
    EXPECT_THAT(p, testing::EndsWith("; in-container sysctl file missing"));
    s = parse_ct_net_output("tunl0=present\nkind=gre\nup=0\npersist=ok\n");
    EXPECT_THAT(s.problems({"192.0.2.10"}), HasSubstr("tunl0 is a 'gre' device, not ipip"));
    EXPECT_THAT(s.problems({"192.0.2.10"}, false), testing::Not(HasSubstr("not ipip")));
    EXPECT_THAT(s.problems({"192.0.2.10"}), HasSubstr("tunl0 is down; 192.0.2.10/32 not on tunl0"));
}

}  // namespace
}  // namespace vzlvs
