// The --json reports of check, provision and a dry run validate against
// docs/report.schema.json, which rejects malformed ones and is the one docs/json-output.md
// embeds; and `vzlvs probe` on a kernel without ipip.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/node_edits.hpp"
#include "support/vzlvs_node.hpp"
#include "vzlvs/base/error.hpp"

namespace vzlvs::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

const std::string kSchema = std::string(VZLVS_TESTS_DIR) + "/../docs/report.schema.json";
const std::string kValidator = std::string(VZLVS_TESTS_DIR) + "/json/validate_report.py";

// A directory removed with everything in it when the test ends, also on failure.
class TempDir {
  public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "vzlvs-report.XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw Error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return (path_ / name).string(); }

  private:
    fs::path path_;
};

// Debian's interpreter first: python3-jsonschema (scripts/install-deps) is installed for it.
std::string python() {
    return ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

// `python3 tests/json/validate_report.py SCHEMA FILE...`
RunResult validate(const std::vector<std::string>& files) {
    std::vector<std::string> argv{python(), kValidator, kSchema};
    argv.insert(argv.end(), files.begin(), files.end());
    return make_process_runner()->run(argv);
}

TEST(ReportSchema, CheckProvisionAndDryRunReportsValidate) {
    VzlvsNode n;
    n.create_ct("101", "198.51.100.101", true);
    n.create_ct("102", "198.51.100.102", false);
    n.write_config(VzlvsNode::standard_body());
    TempDir dir;
    std::vector<std::string> files;
    std::set<std::string> statuses;
    auto save = [&](const std::string& name, const std::vector<std::string>& args) {
        CliResult r = n.cli(args);
        ASSERT_TRUE(r.report.is_object()) << r.describe();
        for (const auto& o : r.report["outcomes"]) statuses.insert(o.value("status", ""));
        files.push_back(dir.file(name + ".json"));
        write_file(files.back(), r.run.out);
    };
    ASSERT_NO_FATAL_FAILURE(save("bootstrap", {"bootstrap"}));
    ASSERT_NO_FATAL_FAILURE(save("provision-dry-run", {"provision", "--dry-run"}));
    ASSERT_NO_FATAL_FAILURE(save("provision", {"provision"}));
    n.wait_for_workers();
    ASSERT_NO_FATAL_FAILURE(save("check", {"check"}));
    ASSERT_NO_FATAL_FAILURE(save("check-dry-run-flag", {"check", "--dry-run"}));

    RunResult v = validate(files);
    EXPECT_EQ(v.exit_code, 0) << v.err << v.out;
    EXPECT_EQ(v.err, "");
    // The reports exercised the statuses that matter (a schema test on ok-only output proves
    // little): the dry run plans, provision changes, check fails and warns.
    for (const char* s : {"ok", "planned", "changed", "failed", "warning", "skipped"})
        EXPECT_TRUE(statuses.count(s)) << "no outcome with status " << s;
}

TEST(ReportSchema, MalformedReportsFailValidation) {
    const json valid = {{"schema", "vzlvs.report/1"},
                        {"command", "check"},
                        {"outcomes",
                         {{{"scope", "ct 101"},
                           {"name", "container running"},
                           {"status", "failed"},
                           {"detail", "stopped"},
                           {"fix", "vzctl start 101"}}}},
                        {"summary",
                         {{"ok", 0},
                          {"changed", 0},
                          {"planned", 0},
                          {"pending", 0},
                          {"skipped", 0},
                          {"warning", 0},
                          {"failed", 1}}},
                        {"exit", 1}};
    TempDir dir;
    write_file(dir.file("valid.json"), valid.dump(2));
    // OpenVZ 7 containers are named in the config by name or UUID (issue 23, finding 5).
    json named = valid, uuid = valid;
    named["outcomes"][0]["scope"] = "ct web-1";
    uuid["outcomes"][0]["scope"] = "ct 6c4a4f2e-3b1d-4a8e-9f2a-1d2c3b4a5e6f";
    write_file(dir.file("named.json"), named.dump(2));
    write_file(dir.file("uuid.json"), uuid.dump(2));
    RunResult ok =
        validate({dir.file("valid.json"), dir.file("named.json"), dir.file("uuid.json")});
    ASSERT_EQ(ok.exit_code, 0) << ok.err;

    struct Bad {
        std::string name, pointer, message_part;
        std::function<void(json&)> mutate;
    };
    const std::vector<Bad> bad{
        {"bogus-status", "/outcomes/0/status", "'bogus' is not one of",
         [](json& j) { j["outcomes"][0]["status"] = "bogus"; }},
        {"extra-field", "/", "'extra' was unexpected", [](json& j) { j["extra"] = 1; }},
        {"extra-outcome-field", "/outcomes/0", "'ctid' was unexpected",
         [](json& j) { j["outcomes"][0]["ctid"] = "101"; }},
        {"missing-fix", "/outcomes/0", "'fix' is a required property",
         [](json& j) { j["outcomes"][0].erase("fix"); }},
        {"missing-summary-key", "/summary", "'warning' is a required property",
         [](json& j) { j["summary"].erase("warning"); }},
        {"negative-count", "/summary/ok", "less than the minimum",
         [](json& j) { j["summary"]["ok"] = -1; }},
        {"exit-2", "/exit", "is not one of", [](json& j) { j["exit"] = 2; }},
        {"other-schema", "/schema", "was expected",
         [](json& j) { j["schema"] = "vzlvs.report/2"; }},
        {"unknown-command", "/command", "is not one of",
         [](json& j) { j["command"] = "frobnicate"; }},
        {"bad-scope", "/outcomes/0/scope", "does not match",
         [](json& j) { j["outcomes"][0]["scope"] = "container 101"; }},
        {"bad-ct-name", "/outcomes/0/scope", "does not match",
         [](json& j) { j["outcomes"][0]["scope"] = "ct -web"; }},
    };
    for (const auto& b : bad) {
        SCOPED_TRACE(b.name);
        json j = valid;
        b.mutate(j);
        const std::string f = dir.file(b.name + ".json");
        write_file(f, j.dump(2));
        RunResult r = validate({f});
        EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
        EXPECT_THAT(r.err, HasSubstr(f + ": " + b.pointer + ": ")) << r.err;
        EXPECT_THAT(r.err, HasSubstr(b.message_part)) << r.err;
    }
}

// The schema embedded in docs/json-output.md ("## JSON Schema") and docs/report.schema.json
// must be one schema.
TEST(ReportSchema, DocsEmbedTheSameSchema) {
    std::ifstream in(std::string(VZLVS_TESTS_DIR) + "/../docs/json-output.md");
    std::stringstream doc;
    doc << in.rdbuf();
    const std::string text = doc.str();
    size_t head = text.find("\n## JSON Schema");
    ASSERT_NE(head, std::string::npos);
    size_t begin = text.find("```json\n", head);
    ASSERT_NE(begin, std::string::npos);
    begin += 8;
    size_t end = text.find("```", begin);
    ASSERT_NE(end, std::string::npos);
    std::ifstream file(kSchema);
    json embedded = json::parse(text.substr(begin, end - begin));
    json ours = json::parse(file);
    EXPECT_EQ(embedded, ours) << json::diff(embedded, ours).dump(2);
}

// --- the probe through the tunnel -----------------------------------------------------------

// The real probe needs ipip (tests/vm/lvs_tun.sh runs it on a real kernel); here the binary
// must say why it cannot, fail, and refuse a service the CT does not have before anything.
TEST(Probe, WithoutIpipItSaysSoAndExits1AndAWrongServiceIsAUsageError) {
    VzlvsNode n;
    ASSERT_NO_FATAL_FAILURE(provision_both(n));
    CliResult p = n.cli({"probe", "101", "web"});
    EXPECT_EQ(p.exit_code(), 1) << p.describe();
    auto o = p.outcome("ct 101", "answers through the tunnel (web)");
    ASSERT_TRUE(o.has_value()) << p.describe();
    EXPECT_EQ((*o)["status"], "failed");
    EXPECT_THAT(o->value("detail", ""), HasSubstr("ipip not supported by this kernel"));
    const std::string file = n.root() + "/probe-report.json";
    write_file(file, p.run.out);
    RunResult v = validate({file});
    EXPECT_TRUE(v.ok()) << v.out << v.err;

    CliResult wrong = n.cli({"probe", "101", "dns"});
    EXPECT_EQ(wrong.exit_code(), 2) << wrong.describe();
    EXPECT_THAT(wrong.run.err, HasSubstr("CT 101 has no service dns (its services: web)"));

    CliResult c = n.cli({"check", "--probe", "102"});
    auto q = c.outcome("ct 102", "answers through the tunnel (dns)");
    ASSERT_TRUE(q.has_value()) << c.describe();
    EXPECT_THAT(q->value("detail", ""), HasSubstr("ipip not supported by this kernel"));
    EXPECT_FALSE(n.cli({"check", "102"}).outcome("ct 102", "answers through the tunnel (dns)"));
}

}  // namespace
}  // namespace vzlvs::test
