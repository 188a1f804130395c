// libFuzzer target for the bzImage parser: any input either fails with a message or yields
// an image whose derived fields are consistent with the input.
#include <cstdlib>

#include "bzimage.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = mint::ParseBzImage({data, size});
  if (!parsed.ok()) {
    if (parsed.error().message.empty()) std::abort();
    return 0;
  }
  const mint::KernelImage& image = *parsed;
  if (image.setup_bytes >= size) std::abort();
  if (image.setup_bytes + image.protected_mode_size != size) std::abort();
  if (image.payload_file_offset + image.header.payload_length > size) std::abort();
  if (image.header_bytes.size() > image.setup_bytes) std::abort();
  if (image.header.relocatable_kernel == 0) std::abort();
  return 0;
}
