// Text from outside made safe to show (base/strings.hpp printable): control characters and
// bytes that are not well-formed UTF-8 become '?', whole characters are kept, and what comes out
// is always valid UTF-8 for a JSON report.
#include "vzlvs/base/strings.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace vzlvs {
namespace {

TEST(Printable, KeepsWholeCharactersAndReplacesWhatIsNotUtf8) {
    EXPECT_EQ(printable("plain ascii"), "plain ascii");
    EXPECT_EQ(printable("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x99\x82"),
              "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x99\x82");
    EXPECT_EQ(printable("\xff\xfe"), "??");
    EXPECT_EQ(printable("a\xc0\xaf"
                        "b"),
              "a??b")
        << "an overlong '/'";
    EXPECT_EQ(printable("\xed\xa0\x80"), "???") << "a surrogate";
    EXPECT_EQ(printable("\xf4\x90\x80\x80"), "????") << "above U+10FFFF";
    EXPECT_EQ(printable("\xe6\x97"), "??") << "a character cut short";
    EXPECT_EQ(printable("\x1b[31mred"), "?[31mred");
    EXPECT_EQ(printable("a\nb", 512, true), "a\nb");
    EXPECT_EQ(printable("a\nb"), "a?b");
}

TEST(Printable, ACutNeverSplitsACharacterIntoInvalidBytes) {
    const std::string text = "\xe6\x97\xa5\xe6\x97\xa5";  // two 3-byte characters
    EXPECT_EQ(printable(text, 4), "\xe6\x97\xa5?…");
    for (std::size_t max = 0; max <= text.size(); ++max)
        EXPECT_NO_THROW((void)nlohmann::json(printable(text, max)).dump()) << max;
}

TEST(Printable, AnyBytesGiveValidUtf8) {
    std::string all;
    for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
    EXPECT_NO_THROW((void)nlohmann::json(printable(all + all, 1024, true)).dump());
}

}  // namespace
}  // namespace vzlvs
