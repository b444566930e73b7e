#include "support/node_edits.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "vzlvs/base/error.hpp"
#include "vzlvs/base/shell.hpp"

namespace vzlvs::test {

std::string describe(const std::vector<std::string>& argv, const RunResult& r) {
    return describe_argv(argv) + ": exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out +
           "\nstderr:\n" + r.err;
}

std::string host_ok(const std::vector<std::string>& argv) {
    RunResult r = make_process_runner()->run(argv);
    if (!r.ok()) throw Error(describe(argv, r));
    return r.out;
}

void in_ct(VzlvsNode& n, const std::string& ctid, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"ip", "netns", "exec", n.standin().ct_netns_name(ctid)});
    host_ok(argv);
}

void on_node(VzlvsNode& n, const std::vector<std::string>& argv) { n.run_ok(argv); }

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    out << text;
    if (!out) throw Error("cannot write " + path);
}

void replace_line(VzlvsNode& n, const std::string& path, const std::string& key,
                  const std::string& line) {
    std::istringstream in(n.read(path));
    std::string text, l;
    bool found = false;
    while (std::getline(in, l)) {
        if (!found && l.rfind(key + "=", 0) == 0) {
            l = line;
            found = true;
        }
        text += l + "\n";
    }
    if (!found) throw Error(path + " has no " + key + "= line");
    write_file(path, text);
}

void edit_block(VzlvsNode& n, const std::string& path, bool remove, const std::string& extra) {
    std::istringstream in(n.read(path));
    std::string text, l;
    bool inside = false, seen = false;
    while (std::getline(in, l)) {
        if (l == "# BEGIN vzlvs lvs-tun") inside = seen = true;
        const bool end = l == "# END vzlvs lvs-tun";
        if (end && !remove) text += extra;
        if (!inside || !remove) text += l + "\n";
        if (end) inside = false;
    }
    if (!seen) throw Error(path + " has no vzlvs block");
    write_file(path, text);
}

std::string backend_of(VzlvsNode& n, const std::string& service) {
    auto s = n.director().get("/service/" + service);
    if (!s || !(*s)["backends"].is_array() || (*s)["backends"].size() != 1)
        throw Error("service " + service +
                    " has not exactly one backend: " + (s ? s->dump() : "missing"));
    return (*s)["backends"][0].get<std::string>();
}

void director_ok(VzlvsNode& n, const std::string& method, const std::string& path,
                 const std::string& body) {
    std::string reply;
    long status = n.director().call(method, path, body, &reply);
    if (status != 200)
        throw Error(method + " " + path + ": HTTP " + std::to_string(status) + " " + reply);
}

std::vector<std::string> words(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
}

std::vector<ExpectedFailure> bench_failures(bool ct101, bool ct102) {
    std::vector<ExpectedFailure> f{check_ipip_failure()};
    if (ct101) f.push_back(ct_ipip_failure("101"));
    if (ct102) f.push_back(ct_ipip_failure("102"));
    return f;
}

void provision_both(VzlvsNode& n) {
    n.create_ct("101", "198.51.100.101", true);
    n.create_ct("102", "198.51.100.102", true);
    n.write_config(VzlvsNode::standard_body());
    CliResult boot = n.cli({"bootstrap"});
    ASSERT_EQ(boot.unexpected_failures({bootstrap_ipip_failure()}), "");
    CliResult prov = n.cli({"provision"});
    ASSERT_EQ(prov.unexpected_failures({ct_ipip_failure("101"), ct_ipip_failure("102")}), "");
    n.wait_for_workers();
}

void expect_check_report(const CliResult& c) {
    ASSERT_TRUE(c.report.is_object()) << c.describe();
    EXPECT_EQ(c.report["schema"], "vzlvs.report/1");
    EXPECT_EQ(c.report["command"], "check");
    EXPECT_EQ(c.report["exit"], c.exit_code());
    EXPECT_EQ(c.summary("changed"), 0) << c.describe();
    EXPECT_EQ(c.summary("planned"), 0) << c.describe();
    EXPECT_EQ(c.summary("pending"), 0) << c.describe();
    for (const auto& o : c.with_status("failed"))
        EXPECT_NE(o["fix"], "") << "a failed check without a fix: " << o.dump();
}

}  // namespace vzlvs::test
