// Text a node wrote (its node page's reason_text, its agent's output quoted in an error), made
// safe to show the operator. A node is untrusted: its bytes may not be UTF-8, which JSON
// output cannot carry (nlohmann::json throws on dump), and may hold terminal control
// sequences (ESC [ ..., an 8-bit CSI) that would act on the operator's terminal when printed.
// Not for streams the operator asked for raw: mint console's relay and mint exec's output.
#pragma once

#include <string>
#include <string_view>

namespace mint {

// `bytes` as valid UTF-8 without control characters:
// - each maximal ill-formed subsequence (a stray continuation byte, an overlong form, a
//   surrogate, a code point above U+10FFFF, a sequence cut short) becomes U+FFFD, as the
//   Unicode Standard recommends (chapter 3, "U+FFFD Substitution of Maximal Subparts");
// - C0 controls (U+0000-U+001F, tab and newline included), DEL (U+007F) and C1 controls
//   (U+0080-U+009F) become \xNN, one per byte of their UTF-8 form ("\x1b", "\xc2\x9b");
// - everything else, printable ASCII and well-formed UTF-8, is kept as it is, so ordinary
//   text reads the same. A backslash is not escaped: the result is for reading, not parsing.
std::string PrintableNodeText(std::string_view bytes);

}  // namespace mint
