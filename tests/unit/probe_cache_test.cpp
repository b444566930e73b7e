// The probe cache (base/probe_cache.hpp): an answer holds exactly while its key does.
#include "vzlvs/base/probe_cache.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/director_server.hpp"

namespace vzlvs {
namespace {

TEST(ProbeCache, AnswersOnlyForItsKey) {
    test::ScratchDir dir;
    const std::filesystem::path file = dir.path() + "/probe";
    EXPECT_FALSE(read_probe_cache(file, "k1").has_value()) << "no file, no answer";
    write_probe_cache(file, "k1", {"nft", "why"});
    EXPECT_EQ(read_probe_cache(file, "k1"), (std::vector<std::string>{"nft", "why"}));
    EXPECT_FALSE(read_probe_cache(file, "k2").has_value()) << "another key: ask again";
    EXPECT_FALSE(read_probe_cache(file, "").has_value()) << "no key, no answer";
    write_probe_cache(file, "", {"x"});
    EXPECT_EQ(read_probe_cache(file, "k1"), (std::vector<std::string>{"nft", "why"}))
        << "an empty key writes nothing";
}

TEST(ProbeCache, IgnoresAnOversizedFileAndAMissingDirectory) {
    test::ScratchDir dir;
    const std::filesystem::path file = dir.path() + "/probe";
    std::ofstream(file) << "k1\n" << std::string(5000, 'x') << "\n";
    EXPECT_FALSE(read_probe_cache(file, "k1").has_value());
    write_probe_cache(dir.path() + "/no/such/dir/probe", "k1", {"nft"});
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/no"));
}

TEST(ProbeCache, KeysNameTheBootAndTheBinary) {
    EXPECT_EQ(boot_identity().rfind("boot ", 0), 0u) << boot_identity();
    EXPECT_EQ(boot_identity(), boot_identity());
    const std::string sh = binary_identity("/bin/sh");
    EXPECT_EQ(sh.rfind("/bin/sh ", 0), 0u) << sh;
    EXPECT_EQ(binary_identity("/nonexistent"), "");
}

}  // namespace
}  // namespace vzlvs
