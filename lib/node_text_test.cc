#include "node_text.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include <nlohmann/json.hpp>

namespace mint {
namespace {

const std::string kFffd = "\xef\xbf\xbd";  // U+FFFD

std::string Times(const std::string& text, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += text;
  return out;
}

TEST(NodeText, KeepsPlainText) {
  EXPECT_EQ(PrintableNodeText("panic: sysrq triggered crash"), "panic: sysrq triggered crash");
  EXPECT_EQ(PrintableNodeText(""), "");
  EXPECT_EQ(PrintableNodeText("a\\x41 ~!"), "a\\x41 ~!");
}

TEST(NodeText, KeepsWellFormedUtf8) {
  // 2, 3 and 4 bytes, the last code points before the ill-formed ranges, and U+00A0 (the
  // first code point after the C1 controls).
  for (std::string text : {"Kernel-Panik: ü", "€ 中文", "\xf0\x9f\x90\xa7", "\xed\x9f\xbf",
                           "\xf4\x8f\xbf\xbf", "\xc2\xa0", "\xef\xbf\xbd"})
    EXPECT_EQ(PrintableNodeText(text), text) << text;
}

TEST(NodeText, EscapesC0ControlsAndDel) {
  EXPECT_EQ(PrintableNodeText("a\nb\tc\rd"), "a\\x0ab\\x09c\\x0dd");
  EXPECT_EQ(PrintableNodeText(std::string("\0\x01\x1f\x7f", 4)), "\\x00\\x01\\x1f\\x7f");
}

TEST(NodeText, EscapesEscapeSequences) {
  // Clear the screen, retitle the window (OSC ... BEL), and set a colour: nothing reaches the
  // terminal as a control.
  EXPECT_EQ(PrintableNodeText("\x1b[2J\x1b]0;owned\x07ok\x1b[31m"),
            "\\x1b[2J\\x1b]0;owned\\x07ok\\x1b[31m");
}

TEST(NodeText, EscapesC1Controls) {
  // U+009B (CSI) and U+0085 (NEL) in UTF-8 are controls to a UTF-8 terminal.
  EXPECT_EQ(PrintableNodeText("\xc2\x9b"
                              "2J"),
            "\\xc2\\x9b2J");
  EXPECT_EQ(PrintableNodeText("\xc2\x85\xc2\x80\xc2\x9f"), "\\xc2\\x85\\xc2\\x80\\xc2\\x9f");
  // The same controls as raw 8-bit bytes are not UTF-8: replaced.
  EXPECT_EQ(PrintableNodeText("\x9b"
                              "2J"),
            kFffd + "2J");
}

TEST(NodeText, ReplacesInvalidBytes) {
  EXPECT_EQ(PrintableNodeText("a\x80z"), "a" + kFffd + "z");          // lone continuation
  EXPECT_EQ(PrintableNodeText("\xff\xfe"), Times(kFffd, 2));          // never in UTF-8
  EXPECT_EQ(PrintableNodeText("\xf5\x80\x80\x80"), Times(kFffd, 4));  // lead beyond F4
  EXPECT_EQ(PrintableNodeText("\xe2\x28\xa1"), kFffd + "(" + kFffd);  // bad continuation
  EXPECT_EQ(PrintableNodeText("\xed\xa0\x80"), Times(kFffd, 3));      // surrogate D800
  EXPECT_EQ(PrintableNodeText("\xf4\x90\x80\x80"), Times(kFffd, 4));  // above U+10FFFF
}

TEST(NodeText, ReplacesOverlongEncodings) {
  // '/' as 2, 3 and 4 bytes, and NUL as 2 (the "modified UTF-8" NUL): one U+FFFD per byte,
  // the maximal subparts being single bytes; none of them decodes to its ASCII character.
  EXPECT_EQ(PrintableNodeText("\xc0\xaf"), Times(kFffd, 2));
  EXPECT_EQ(PrintableNodeText("\xe0\x80\xaf"), Times(kFffd, 3));
  EXPECT_EQ(PrintableNodeText("\xf0\x80\x80\xaf"), Times(kFffd, 4));
  EXPECT_EQ(PrintableNodeText("\xc0\x80"), Times(kFffd, 2));
  // An overlong ESC must not become an escape sequence.
  EXPECT_EQ(PrintableNodeText("\xc0\x9b[2J"), Times(kFffd, 2) + "[2J");
}

TEST(NodeText, ReplacesTruncatedSequencesOnce) {
  // A sequence cut short is one maximal subpart: one U+FFFD, and the byte after it is kept.
  EXPECT_EQ(PrintableNodeText("\xe2\x82"), kFffd);
  EXPECT_EQ(PrintableNodeText("\xe2\x82x"), kFffd + "x");
  EXPECT_EQ(PrintableNodeText("\xf0\x9f\x90"), kFffd);
  EXPECT_EQ(PrintableNodeText("ab\xc3"), "ab" + kFffd);
  // reason_text cut at 127 bytes in the middle of a character.
  EXPECT_EQ(PrintableNodeText(std::string(126, 'x') + "\xe2"), std::string(126, 'x') + kFffd);
  // A cut sequence followed by an escape: the escape is still escaped.
  EXPECT_EQ(PrintableNodeText("\xe2\x82\x1b[m"), kFffd + "\\x1b[m");
}

// Whatever the bytes, the result is UTF-8 that JSON can carry and that holds no control:
// checked over every two-byte input and random longer ones.
void ExpectPrintable(const std::string& bytes) {
  std::string text = PrintableNodeText(bytes);
  EXPECT_NO_THROW((void)nlohmann::json(text).dump())
      << nlohmann::json(bytes).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<uint8_t>(text[i]);
    ASSERT_FALSE(c < 0x20 || c == 0x7f) << "control byte " << int{c};
    if (c == 0xc2 && i + 1 < text.size()) {
      ASSERT_FALSE(static_cast<uint8_t>(text[i + 1]) < 0xa0) << "C1 control";
    }
  }
}

TEST(NodeText, AnyBytesComeOutPrintable) {
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) ExpectPrintable({static_cast<char>(a), static_cast<char>(b)});
  std::mt19937 random(18);
  std::uniform_int_distribution<int> byte(0, 255), length(0, 40);
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(static_cast<size_t>(length(random)), '\0');
    for (char& c : bytes) c = static_cast<char>(byte(random));
    ExpectPrintable(bytes);
  }
}

}  // namespace
}  // namespace mint
