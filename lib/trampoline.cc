#include "loader.h"
#include "plan.h"
#include "trampoline_layout.h"  // asserts its offsets against abi.h when compiled as C++

extern "C" const uint8_t mint_trampoline_blob[];
extern "C" const uint8_t mint_trampoline_blob_end[];

namespace mint {

static_assert(kTrampolineBytes == MINT_TRAMPOLINE_SIZE, "the plan reserves the whole trampoline");

std::span<const uint8_t> TrampolineCode() {
  return {mint_trampoline_blob,
          static_cast<size_t>(mint_trampoline_blob_end - mint_trampoline_blob)};
}

}  // namespace mint
