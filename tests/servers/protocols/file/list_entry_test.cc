#include "servers/protocols/file/list_entry.h"

#include "gtest/gtest.h"

namespace corral::protocols::file {
namespace {

TEST(FormatListEntry, WritesTypeSizeAndEscapedName) {
  EXPECT_EQ(FormatListEntry({ListEntry::Type::kFile, 12, "a.txt"}), "file 12 a.txt\n");
  EXPECT_EQ(FormatListEntry({ListEntry::Type::kDirectory, 0, "docs"}), "dir 0 docs\n");
  EXPECT_EQ(FormatListEntry({ListEntry::Type::kOther, 0, "fifo"}), "other 0 fifo\n");
  EXPECT_EQ(FormatListEntry({ListEntry::Type::kFile, 1, "two\nlines and spaces"}),
            "file 1 two%0Alines%20and%20spaces\n");
}

TEST(ParseListEntry, InvertsFormat) {
  for (const ListEntry& entry : {ListEntry{ListEntry::Type::kFile, 5242880, "big.bin"},
                                 ListEntry{ListEntry::Type::kDirectory, 0, "sub dir"},
                                 ListEntry{ListEntry::Type::kOther, 0, "evil\n\r\x1b%name"}}) {
    std::string line = FormatListEntry(entry);
    ASSERT_EQ(line.find('\n'), line.size() - 1) << "one line only";
    line.pop_back();
    absl::StatusOr<ListEntry> parsed = ParseListEntry(line);
    ASSERT_TRUE(parsed.ok()) << line << ": " << parsed.status();
    EXPECT_EQ(*parsed, entry);
  }
}

TEST(ParseListEntry, RefusesMalformedLines) {
  for (const char* line : {"", "file", "file 1", "file 1 ", "link 1 a", "file x a", "file -1 a",
                           "file 1 a b", "file 1 a%zz"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseListEntry(line).status())) << line;
  }
}

}  // namespace
}  // namespace corral::protocols::file
