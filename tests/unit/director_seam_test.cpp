// The director seam is the dialect's, not gorb's: make_director() picks a dialect by
// [director] api from a table, and the flows run against a dialect that is not gorb through
// the transport-free Director, DirectorError and BackendDiff alone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes/fake_node.hpp"
#include "vzlvs/director/director.hpp"

namespace vzlvs {
namespace {

using fakes::failures;
using fakes::FakeNode;
using testing::HasSubstr;

// A dialect in the fast tests: every call goes to the node's FakeDirector, except set_weight
// where `gone` makes it answer as a director that lost the backend since it was last asked.
class FakeDialect final : public Director {
  public:
    FakeDialect(Director& to, const bool& gone) : to_(to), gone_(gone) {}
    Change ensure_service(const ServiceSpec& s) override { return to_.ensure_service(s); }
    BackendDiff diff_service(const ServiceSpec& s) override { return to_.diff_service(s); }
    Change ensure_backend(const BackendSpec& b) override { return to_.ensure_backend(b); }
    BackendDiff diff(const BackendSpec& b) override { return to_.diff(b); }
    Change set_weight(const BackendSpec& b, int w) override {
        if (gone_) {
            to_.remove_backend(b);
            throw DirectorError(DirectorError::Reason::not_found, "fake: no backend " + b.id);
        }
        return to_.set_weight(b, w);
    }
    Change remove_backend(const BackendSpec& b) override { return to_.remove_backend(b); }

  private:
    Director& to_;
    const bool& gone_;
};

TEST(MakeDirector, DispatchesOnTheApiWordAndRefusesAnUnknownOne) {
    std::vector<std::string> made;
    auto row = [&](const std::string& api) {
        return DirectorDialect{api, [&made, api](const Config& c) {
                                   made.push_back(api + " " + c.director.url);
                                   return std::unique_ptr<Director>();
                               }};
    };
    const std::vector<DirectorDialect> table = {row("one"), row("two")};
    Config c;
    DirectorConfig& d = c.director;
    d.url = "x://director";
    d.api = "two";
    make_director(c, table);
    EXPECT_EQ(made, std::vector<std::string>{"two x://director"});
    d.url.clear();
    EXPECT_EQ(make_director(c, table), nullptr) << "no url: no director, no dialect made";
    EXPECT_EQ(made.size(), 1u);
    d.url = "x://director";
    d.api = "three";
    try {
        make_director(c, table);
        ADD_FAILURE() << "an unknown api must be refused";
    } catch (const UsageError& e) {
        EXPECT_STREQ(e.what(), "[director] api = three: no such dialect (vzlvs speaks one, two)");
    }
}

TEST(MakeDirector, TheConfigAcceptsExactlyTheDialectsVzlvsSpeaks) {
    for (const auto& dialect : director_dialects()) {
        // Each dialect names where its director is in its own key.
        const std::string where = dialect.api == "etcd" ? "endpoints" : "url";
        const Config c = parse_config("[node]\nname = n\n[director]\n" + where +
                                          " = http://127.0.0.1:1\napi = " + dialect.api + "\n",
                                      "t.conf");
        EXPECT_EQ(c.director.api, dialect.api);
        EXPECT_NE(make_director(c), nullptr) << dialect.api;
    }
    EXPECT_THROW(parse_config("[node]\nname = n\n[director]\napi = nosuch\n", "t.conf"),
                 ConfigError);
}

TEST(DirectorSeam, FlowsRunOnADialectThatIsNotGorb) {
    FakeNode n{"restart = auto"};
    bool gone = false;
    std::vector<std::string> urls;
    n.speak({{"fake",
              [&](const Config& c) {
                  urls.push_back(c.director.url);
                  return std::make_unique<FakeDialect>(n.director, gone);
              }}},
            "fake");
    ASSERT_EQ(failures(n.run("provision")), "");
    EXPECT_EQ(n.director.backends.count("fake-101-web"), 1u);
    EXPECT_EQ(n.director.backends.count("fake-102-dns"), 1u);
    EXPECT_EQ(urls, std::vector<std::string>{"http://127.0.0.1:9"});

    // A backend the dialect says is gone (DirectorError::Reason::not_found) needs no drain.
    gone = true;
    Report r = n.run("deregister", {"101"});
    EXPECT_EQ(failures(r), "");
    EXPECT_EQ(n.director.backends.count("fake-101-web"), 0u);
    EXPECT_FALSE(n.events.any("director weight fake-101-web")) << "nothing was drained";

    // Any other DirectorError is the step's failure, in the dialect's own words.
    n.director.down = true;
    r = n.run("register", {"102"});
    EXPECT_THAT(failures(r), HasSubstr("no response"));
}

}  // namespace
}  // namespace vzlvs
