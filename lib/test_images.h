// Test helpers: the Debian kernels scripts/setup unpacked, and tiny synthetic bzImages for
// the parser's error paths. Used only by *_test.cc and *_fuzz.cc.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "boot_protocol.h"

namespace mint::testing {

// Path of the kernel named by `key` (MINT_KERNEL, MINT_GENERIC_KERNEL) in the cache's
// kernel.env, or nullopt when setup has not run.
inline std::optional<std::string> CachedKernel(const std::string& key) {
#ifdef MINT_CACHE_DIR
  std::ifstream env(std::string(MINT_CACHE_DIR) + "/kernel.env");
  std::string line;
  while (std::getline(env, line)) {
    if (line.starts_with(key + "=")) return line.substr(key.size() + 1);
  }
#endif
  (void)key;
  return std::nullopt;
}

inline std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A minimal, valid protocol-2.15 bzImage: 1 setup sector after the boot sector, a version
// string, and a gzip-magic payload of `payload_size` bytes.
inline std::vector<uint8_t> SyntheticBzImage(size_t payload_size = 64) {
  constexpr size_t kSetupSects = 1;
  constexpr size_t kSetupBytes = (kSetupSects + 1) * 512;
  std::vector<uint8_t> image(kSetupBytes + payload_size, 0);
  SetupHeader hdr{};
  hdr.setup_sects = kSetupSects;
  hdr.boot_flag = kBootFlag;
  hdr.jump = 0x66eb;  // jmp short +0x66: header ends at 0x202 + 0x66 = 0x268... see below
  hdr.header = kHdrSMagic;
  hdr.version = 0x020f;
  hdr.kernel_version = 0x300 - 0x200;  // string at 0x300
  hdr.loadflags = kLoadedHigh;
  hdr.code32_start = 0x100000;
  hdr.initrd_addr_max = 0x7fffffff;
  hdr.kernel_alignment = 0x200000;
  hdr.relocatable_kernel = 1;
  hdr.min_alignment = 21;
  hdr.xloadflags = kXlfKernel64 | kXlfCanBeLoadedAbove4G;
  hdr.cmdline_size = 2047;
  hdr.payload_offset = 0;
  hdr.payload_length = static_cast<uint32_t>(payload_size);
  hdr.pref_address = 0x1000000;
  hdr.init_size = 0x800000;
  std::memcpy(image.data() + kSetupHeaderOffset, &hdr, sizeof(hdr));
  image[0x201] = 0x6a;  // header runs to 0x202 + 0x6a = 0x26c, the 2.15 length
  const char version[] = "6.1.0-test (mint) #1";
  std::memcpy(image.data() + 0x300, version, sizeof(version));
  image[kSetupBytes] = 0x1f;
  image[kSetupBytes + 1] = 0x8b;
  return image;
}

}  // namespace mint::testing
