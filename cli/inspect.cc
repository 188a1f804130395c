// mint inspect IMAGE [--json]: the parsed boot header of a kernel image.
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app.h"
#include "bzimage.h"
#include "commands.h"
#include "files.h"

namespace mint::cli {
namespace {

struct InspectArgs {
  std::string path;
  bool json = false;
};

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

Result<int> RunInspect(const InspectArgs& args) {
  const std::string& path = args.path;
  auto bytes = MINT_TRY(ReadFile(path, "kernel image"));
  auto image = ParseBzImage(bytes);
  if (!image) return Fail(path, ": ", image.error().message);
  if (args.json) {
    std::cout << ToJson(*image, path, bytes.size()).dump(2) << "\n";
    return 0;
  }
  const SetupHeader& h = image->header;
  auto row = [](const char* name) -> std::ostream& {
    return std::cout << "  " << std::left << std::setw(17) << name;
  };
  std::cout << path << " (" << Bytes(bytes.size()) << ")\n";
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

}  // namespace

void AddInspect(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = app.add_subcommand("inspect", "show a kernel image's boot header");
  cmd->footer(
      "Parses a Linux bzImage's boot header (boot protocol 2.14+) and shows what Mint reads\n"
      "from it: version, boot protocol, alignment, init_size, payload format, limits.");
  cmd->add_option("IMAGE", args->path, "the kernel image (a bzImage)")->required();
  cmd->add_flag("--json", args->json, "print the same as one JSON object");
  cmd->callback([args, &chosen] { chosen = [args] { return RunInspect(*args); }; });
}

}  // namespace mint::cli
