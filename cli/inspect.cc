// mint inspect IMAGE [--json]: the parsed boot header of a kernel image.
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "bzimage.h"
#include "commands.h"
#include "files.h"

namespace mint::cli {
namespace {

constexpr const char* kInspectUsage =
    "usage: mint inspect IMAGE [--json]\n"
    "\n"
    "Parses a Linux bzImage's boot header (boot protocol 2.14+) and shows what Mint reads\n"
    "from it: version, boot protocol, alignment, init_size, payload format, limits.\n"
    "  --json   print the same as one JSON object\n";

nlohmann::json ToJson(const KernelImage& image, const std::string& path, size_t size) {
  const SetupHeader& h = image.header;
  return {
      {"path", path},
      {"size", size},
      {"version", image.version},
      {"arch", image.arch},
      {"protocol", image.ProtocolString()},
      {"setup_sects", h.setup_sects},
      {"setup_bytes", image.setup_bytes},
      {"protected_mode_size", image.protected_mode_size},
      {"loadflags", h.loadflags},
      {"xloadflags", h.xloadflags},
      {"code32_start", h.code32_start},
      {"kernel_alignment", h.kernel_alignment},
      {"relocatable", h.relocatable_kernel != 0},
      {"min_alignment", h.min_alignment},
      {"cmdline_size", h.cmdline_size},
      {"pref_address", h.pref_address},
      {"init_size", h.init_size},
      {"initrd_addr_max", h.initrd_addr_max},
      {"payload_offset", h.payload_offset},
      {"payload_length", h.payload_length},
      {"payload_format", CompressionName(image.compression)},
  };
}

}  // namespace

int Inspect(const Args& in) {
  Args args = in;
  if (TakeFlag(args, "--help") || TakeFlag(args, "-h")) return Usage(kInspectUsage, 0);
  bool json = TakeFlag(args, "--json");
  if (args.size() != 1) return Usage(kInspectUsage, 2);
  if (args[0].starts_with("-")) return Error("unknown option '" + args[0] + "'");
  const std::string& path = args[0];
  auto bytes = ReadFile(path, "kernel image");
  if (!bytes) return Error(bytes.error().message);
  auto image = ParseBzImage(*bytes);
  if (!image) return Error(path + ": " + image.error().message);
  if (json) {
    std::cout << ToJson(*image, path, bytes->size()).dump(2) << "\n";
    return 0;
  }
  const SetupHeader& h = image->header;
  auto row = [](const char* name) -> std::ostream& {
    return std::cout << "  " << std::left << std::setw(17) << name;
  };
  std::cout << path << " (" << Bytes(bytes->size()) << ")\n";
  row("version") << image->version << "\n";
  row("arch") << image->arch << (image->is_64bit ? " (64-bit entry present)" : " (32-bit only)")
              << "\n";
  row("boot protocol") << image->ProtocolString() << "\n";
  row("setup code") << image->setup_bytes << " bytes (" << int{h.setup_sects}
                    << " sectors + boot sector)\n";
  row("protected mode") << Bytes(image->protected_mode_size) << " from offset "
                        << Hex(image->setup_bytes) << "\n";
  row("payload") << CompressionName(image->compression) << ", " << Bytes(h.payload_length) << " at "
                 << Hex(image->payload_file_offset) << "\n";
  row("init_size") << Hex(h.init_size) << " (" << Bytes(h.init_size)
                   << " of room from the load address)\n";
  row("alignment") << Hex(h.kernel_alignment) << " (minimum 2^" << int{h.min_alignment}
                   << "), relocatable " << (h.relocatable_kernel ? "yes" : "no") << "\n";
  row("pref_address") << Hex(h.pref_address) << "\n";
  row("initrd_addr_max") << Hex(h.initrd_addr_max)
                         << ((h.xloadflags & kXlfCanBeLoadedAbove4G) ? " (may go above 4 GiB)" : "")
                         << "\n";
  row("cmdline_size") << h.cmdline_size << " bytes\n";
  row("loadflags") << Hex(h.loadflags) << ", xloadflags " << Hex(h.xloadflags) << "\n";
  return 0;
}

}  // namespace mint::cli
