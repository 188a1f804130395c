// Parses a Linux bzImage (Documentation/arch/x86/boot.rst) into what Mint needs to load it.
// A pure function from bytes to a result: no file access, every read bounds-checked.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "boot_protocol.h"
#include "result.h"

namespace mint {

enum class Compression { kUnknown, kGzip, kBzip2, kLzma, kXz, kLzo, kLz4, kZstd };
const char* CompressionName(Compression compression);

struct KernelImage {
  SetupHeader header{};      // as found in the image
  uint16_t protocol = 0;     // header.version, e.g. 0x020f for 2.15
  uint32_t setup_bytes = 0;  // (setup_sects + 1) * 512: where the protected-mode code starts
  uint64_t protected_mode_size = 0;  // bytes of the image after the setup code
  bool is_64bit = false;             // XLF_KERNEL_64: a 64-bit entry exists
  std::string arch;                  // "x86_64" or "i386"
  std::string version;               // the kernel's version string
  Compression compression = Compression::kUnknown;
  uint64_t payload_file_offset = 0;  // payload_offset counted from the image's start
  // The header bytes a loader copies into the zero page: [0x1f1, 0x202 + image[0x201]).
  std::vector<uint8_t> header_bytes;

  std::string ProtocolString() const;
};

// Oldest protocol Mint accepts: 2.14 added boot_params.acpi_rsdp_addr, which is how a node
// finds the ACPI tables Mint builds for it.
constexpr uint16_t kMinProtocol = 0x020e;

Result<KernelImage> ParseBzImage(std::span<const uint8_t> image);

}  // namespace mint
