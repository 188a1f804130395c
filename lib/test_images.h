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
#include "cpio.h"

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

// A minimal relocatable ELF with the sections a kernel module's vermagic is read from (null,
// .modinfo holding `modinfo`, .shstrtab), 64- or 32-bit.
inline std::vector<uint8_t> FakeModuleWithModinfo(const std::string& modinfo, bool wide) {
  const std::string names = std::string("\0.modinfo\0.shstrtab\0", 20);
  const size_t header = wide ? 64 : 52, shentsize = wide ? 64 : 40;
  const size_t modinfo_at = header, names_at = modinfo_at + modinfo.size();
  const size_t shoff = (names_at + names.size() + 7) & ~size_t{7};
  std::vector<uint8_t> out(shoff + 3 * shentsize, 0);
  auto put = [&](size_t offset, uint64_t value, size_t width) {
    for (size_t i = 0; i < width; ++i) out[offset + i] = static_cast<uint8_t>(value >> (8 * i));
  };
  std::memcpy(out.data(),
              "\x7f"
              "ELF",
              4);
  out[4] = wide ? 2 : 1;
  out[5] = 1;
  put(wide ? 0x28 : 0x20, shoff, wide ? 8 : 4);
  put(wide ? 0x3a : 0x2e, shentsize, 2);
  put(wide ? 0x3c : 0x30, 3, 2);
  put(wide ? 0x3e : 0x32, 2, 2);
  std::memcpy(out.data() + modinfo_at, modinfo.data(), modinfo.size());
  std::memcpy(out.data() + names_at, names.data(), names.size());
  auto section = [&](size_t index, uint32_t name, size_t offset, size_t size) {
    size_t at = shoff + index * shentsize;
    put(at, name, 4);
    put(at + (wide ? 0x18 : 0x10), offset, wide ? 8 : 4);
    put(at + (wide ? 0x20 : 0x14), size, wide ? 8 : 4);
  };
  section(1, 1, modinfo_at, modinfo.size());
  section(2, 10, names_at, names.size());
  return out;
}

// A fake mint_node.ko built for kernel `release`.
inline std::vector<uint8_t> FakeNodeModule(const std::string& release, bool wide = true) {
  return FakeModuleWithModinfo(
      std::string("license=GPL") + '\0' + "vermagic=" + release + " SMP mod_unload " + '\0', wide);
}

// A node initramfs of exactly `size` bytes holding /lib/mint/mint_node.ko built for `release`
// (a cpio archive, then the zero padding the kernel skips).
inline std::vector<uint8_t> FakeNodeInitrd(size_t size, const std::string& release,
                                           bool wide = true) {
  CpioArchive archive;
  (void)archive.AddFile("lib/mint/mint_node.ko", FakeNodeModule(release, wide));
  std::vector<uint8_t> out = archive.Serialize();
  if (out.size() < size) out.resize(size, 0);
  return out;
}

}  // namespace mint::testing
