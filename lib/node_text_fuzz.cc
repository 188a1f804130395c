// libFuzzer target for PrintableNodeText: the bytes are a node's, untrusted. Invariants: the
// result is UTF-8 that JSON can carry, holds no C0, DEL or C1 control, and is left as it is
// by a second pass (it is already printable).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "node_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string text = mint::PrintableNodeText(bytes);
  try {
    (void)nlohmann::json(text).dump();
  } catch (const nlohmann::json::exception&) {
    std::abort();
  }
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<uint8_t>(text[i]);
    if (c < 0x20 || c == 0x7f) std::abort();
    if (c == 0xc2 && i + 1 < text.size() && static_cast<uint8_t>(text[i + 1]) < 0xa0) std::abort();
  }
  if (mint::PrintableNodeText(text) != text) std::abort();
  return 0;
}
