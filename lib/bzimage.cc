#include "bzimage.h"
#include "format.h"

#include <cstring>
#include <sstream>

#include "byte_reader.h"

namespace mint {
namespace {

Compression DetectCompression(std::span<const uint8_t> payload) {
  auto starts = [&](std::initializer_list<uint8_t> magic) {
    if (payload.size() < magic.size()) return false;
    return std::equal(magic.begin(), magic.end(), payload.begin());
  };
  if (starts({0x1f, 0x8b})) return Compression::kGzip;
  if (starts({'B', 'Z', 'h'})) return Compression::kBzip2;
  if (starts({0x5d, 0x00, 0x00})) return Compression::kLzma;
  if (starts({0xfd, '7', 'z', 'X', 'Z', 0x00})) return Compression::kXz;
  if (starts({0x89, 'L', 'Z', 'O'})) return Compression::kLzo;
  if (starts({0x02, 0x21, 0x4c, 0x18})) return Compression::kLz4;  // LZ4 legacy frame
  if (starts({0x28, 0xb5, 0x2f, 0xfd})) return Compression::kZstd;
  return Compression::kUnknown;
}

}  // namespace

const char* CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kGzip:
      return "gzip";
    case Compression::kBzip2:
      return "bzip2";
    case Compression::kLzma:
      return "lzma";
    case Compression::kXz:
      return "xz";
    case Compression::kLzo:
      return "lzo";
    case Compression::kLz4:
      return "lz4";
    case Compression::kZstd:
      return "zstd";
    case Compression::kUnknown:
      break;
  }
  return "unknown";
}

std::string KernelImage::ProtocolString() const {
  return std::to_string(protocol >> 8) + "." + std::to_string(protocol & 0xff);
}

Result<KernelImage> ParseBzImage(std::span<const uint8_t> bytes) {
  ByteReader reader(bytes);
  KernelImage image;

  // The header ends at 0x26c for protocol 2.15; older headers are shorter but every field we
  // read below exists from 2.14 on, and we refuse older ones.
  constexpr size_t kHeaderEnd = kSetupHeaderOffset + sizeof(SetupHeader);
  if (bytes.size() < kHeaderEnd)
    return Fail("image is too short (", std::to_string(bytes.size()),
                " bytes) to hold a Linux boot header (", std::to_string(kHeaderEnd), " bytes)");
  auto raw = reader.SpanAt(kSetupHeaderOffset, sizeof(SetupHeader));
  std::memcpy(&image.header, raw->data(), sizeof(SetupHeader));
  const SetupHeader& hdr = image.header;

  if (hdr.boot_flag != kBootFlag)
    return Fail("not a Linux kernel image: boot_flag at 0x1fe is ", Hex(hdr.boot_flag),
                ", expected 0xaa55");
  if (hdr.header != kHdrSMagic)
    return Fail("not a bzImage: no \"HdrS\" magic at 0x202 (found ", Hex(hdr.header),
                "); this may be a raw vmlinux or a pre-2.0 zImage");
  image.protocol = hdr.version;
  if (hdr.version < kMinProtocol)
    return Fail("boot protocol ", image.ProtocolString(),
                " is too old: Mint needs 2.14 or later (Linux 4.20+) to pass ACPI tables through "
                "boot_params.acpi_rsdp_addr");
  if (!(hdr.loadflags & kLoadedHigh))
    return Fail("image is a zImage (loadflags.LOADED_HIGH clear): Mint loads only bzImages");
  if (hdr.relocatable_kernel == 0)
    return Fail(
        "kernel is not relocatable (relocatable_kernel = 0): Mint must load it at the "
        "node's own address; build it with CONFIG_RELOCATABLE=y");
  if (hdr.kernel_alignment == 0 || (hdr.kernel_alignment & (hdr.kernel_alignment - 1)) != 0)
    return Fail("kernel_alignment ", Hex(hdr.kernel_alignment), " is not a power of two");
  if (hdr.min_alignment > 31 || (1u << hdr.min_alignment) > hdr.kernel_alignment)
    return Fail("min_alignment 2^", std::to_string(hdr.min_alignment),
                " is larger than kernel_alignment ", Hex(hdr.kernel_alignment));
  if (hdr.init_size == 0)
    return Fail("init_size is 0: the image does not say how much room it needs");
  if (hdr.cmdline_size == 0) return Fail("cmdline_size is 0");

  uint32_t sects = hdr.setup_sects == 0 ? 4 : hdr.setup_sects;  // boot.rst: 0 means 4
  image.setup_bytes = (sects + 1) * 512;
  if (bytes.size() <= image.setup_bytes)
    return Fail("image is truncated: ", std::to_string(bytes.size()),
                " bytes, but its setup code alone takes ", std::to_string(image.setup_bytes),
                " (setup_sects = ", std::to_string(sects), ")");
  image.protected_mode_size = bytes.size() - image.setup_bytes;

  // The header's own length, from the jump at 0x200 (boot.rst: "0x0202 + byte at 0x0201").
  auto jump_len = reader.ReadAt<uint8_t>(0x201);
  size_t header_end = 0x202 + *jump_len;
  auto header_bytes = reader.SpanAt(kSetupHeaderOffset, header_end - kSetupHeaderOffset);
  if (!header_bytes || header_end > image.setup_bytes)
    return Fail("setup header length ", Hex(header_end), " runs past the setup code");
  if (header_end < kHeaderEnd)
    return Fail("setup header ends at ", Hex(header_end), ", before the 2.14 fields (",
                Hex(kHeaderEnd), ")");
  image.header_bytes.assign(header_bytes->begin(), header_bytes->end());

  // The payload is counted from the start of the protected-mode code.
  image.payload_file_offset = uint64_t{image.setup_bytes} + hdr.payload_offset;
  if (hdr.payload_length == 0 || !reader.SpanAt(image.payload_file_offset, hdr.payload_length))
    return Fail("payload (offset ", Hex(hdr.payload_offset), ", length ", Hex(hdr.payload_length),
                ") lies outside the ", std::to_string(bytes.size()), "-byte image");
  image.compression =
      DetectCompression(*reader.SpanAt(image.payload_file_offset, hdr.payload_length));

  image.is_64bit = (hdr.xloadflags & kXlfKernel64) != 0;
  image.arch = image.is_64bit ? "x86_64" : "i386";

  if (hdr.kernel_version == 0) {
    image.version = "(none)";
  } else {
    auto version = reader.CStringAt(uint64_t{hdr.kernel_version} + 0x200, 256);
    if (!version)
      return Fail("kernel version string at ", Hex(uint64_t{hdr.kernel_version} + 0x200),
                  " is outside the image or not terminated");
    image.version = *version;
  }
  return image;
}

}  // namespace mint
