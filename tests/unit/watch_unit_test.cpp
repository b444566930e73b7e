// bootstrap --install-watch writes one unit, at one path: its own when no package installed
// one, else none (an old one of its own would shadow the package's) and a drop-in only for a
// config other than the packaged unit's (issue 23, finding 4).
#include "vzlvs/steps/watch_unit.hpp"

#include <gtest/gtest.h>

namespace vzlvs {
namespace {

TEST(WatchUnitFiles, WithoutAPackagedUnitTheWholeUnit) {
    auto files = watch_unit_files("/opt/x/vzlvs", "/etc/vzlvs/vzlvs.conf", "/etc/systemd/system",
                                  std::nullopt);
    ASSERT_EQ(files.size(), 1U);
    EXPECT_EQ(files[0].path, "/etc/systemd/system/vzlvs-watch.service");
    EXPECT_EQ(files[0].text, render_watch_unit("/opt/x/vzlvs", "/etc/vzlvs/vzlvs.conf"));
}

TEST(WatchUnitFiles, ThePackagedUnitAsItIsNeedsNothing) {
    auto files = watch_unit_files("/usr/sbin/vzlvs", "/etc/vzlvs/vzlvs.conf", "/etc/systemd/system",
                                  render_watch_unit());
    ASSERT_EQ(files.size(), 2U);
    EXPECT_EQ(files[0].path, "/etc/systemd/system/vzlvs-watch.service");
    EXPECT_FALSE(files[0].text);
    EXPECT_FALSE(files[1].text);
}

TEST(WatchUnitFiles, AnotherConfigIsADropInOverridingExecStart) {
    auto files = watch_unit_files("/usr/sbin/vzlvs", "/etc/vzlvs/edge.conf", "/etc/systemd/system",
                                  render_watch_unit());
    ASSERT_EQ(files.size(), 2U);
    EXPECT_FALSE(files[0].text);
    EXPECT_EQ(files[1].path, "/etc/systemd/system/vzlvs-watch.service.d/vzlvs-config.conf");
    ASSERT_TRUE(files[1].text);
    EXPECT_NE(files[1].text->find("[Service]\nExecStart=\nExecStart=/usr/sbin/vzlvs -c "
                                  "/etc/vzlvs/edge.conf watch\n"),
              std::string::npos)
        << *files[1].text;
}

TEST(WatchUnitFiles, ThePackagedUnitIsFoundBesideTheBinary) {
    EXPECT_EQ(packaged_unit_path("/usr/sbin/vzlvs"), "/usr/lib/systemd/system/vzlvs-watch.service");
}

TEST(WatchUnit, NeverRestartsOnAConfigErrorAndIsHardened) {
    const std::string unit = render_watch_unit();
    EXPECT_NE(unit.find("\nRestartPreventExitStatus=2\n"), std::string::npos);
    EXPECT_NE(unit.find("\nNoNewPrivileges=yes\n"), std::string::npos);
    // Nothing that gives watch (and so what vzctl mounts or starts for it) a mount namespace
    // of its own or a device policy: vzctl must see and change the node's.
    for (const char* never : {"ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices",
                              "ProtectClock", "ProtectKernelTunables", "ProtectKernelModules",
                              "ProtectControlGroups", "CapabilityBoundingSet"})
        EXPECT_EQ(unit.find(std::string("\n") + never + "="), std::string::npos) << never;
}

}  // namespace
}  // namespace vzlvs
