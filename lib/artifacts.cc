#include "artifacts.h"

#include "boot_params.h"

namespace mint {

Result<NodeArtifacts> BuildNodeArtifacts(const NodeInputs& in) {
  const NodePlan& node = *in.node;
  const KernelImage& kernel = *in.kernel;
  if (!node.arch.empty() && node.arch != kernel.arch)
    return Fail("node ", node.name, ": the plan says arch ", node.arch, " but ", node.kernel,
                " is an ", kernel.arch, " kernel");
  if (!node.low) return Fail("node ", node.name, ": no low slice was assigned");
  if (!node.memory_sizes.empty())
    return Fail("node ", node.name, ": memory sizes were not placed yet");

  NodeArtifacts out;
  out.layout = MINT_TRY(PlanNodeLayout(node.memory, *node.low, kernel, in.initrd_bytes.size()));
  const NodeLayout& layout = out.layout;

  NodeCommandLine options;
  options.user = node.cmdline;
  options.tsc_khz = in.tsc_khz;
  options.cpus = static_cast<uint32_t>(node.cpus.size());
  options.console = node.console;
  options.status_page = layout.status_page;
  // Debian's i386 kernel parses MP tables (the x86_64 cloud kernel does not): boot_params.h.
  options.noapic = kernel.arch == "i386";
  uint32_t cmdline_size = std::min<uint32_t>(kernel.header.cmdline_size, kCmdlineCapacity);
  auto cmdline = BuildCommandLine(options, cmdline_size);
  if (!cmdline) return Fail("node ", node.name, ": ", cmdline.error().message);
  out.cmdline = *cmdline;
  out.cmdline_bytes.assign(out.cmdline.begin(), out.cmdline.end());
  out.cmdline_bytes.push_back(0);

  AcpiNodeConfig acpi_config;
  acpi_config.base = layout.acpi;
  acpi_config.apic_ids = node.cpus;
  auto acpi = BuildAcpiTables(acpi_config);
  if (!acpi) return Fail("node ", node.name, ": ACPI tables: ", acpi.error().message);
  out.acpi = std::move(*acpi);
  if (out.acpi.blob.size() > kAcpiCapacity)
    return Fail("node ", node.name, ": ACPI tables take ", std::to_string(out.acpi.blob.size()),
                " bytes, more than the ", std::to_string(kAcpiCapacity), " reserved for them");

  BootParamsInput params;
  params.cmdline_addr = layout.cmdline;
  params.cmdline_length = static_cast<uint32_t>(out.cmdline.size());
  params.rsdp_addr = out.acpi.rsdp_address;
  out.boot_params = MINT_TRY(BuildBootParams(kernel, layout, params));
  out.status_page.assign(0x1000, 0);
  out.shared.assign(kSharedSize, 0);
  out.entry = layout.kernel;

  std::span<const uint8_t> protected_mode = in.kernel_bytes.subspan(kernel.setup_bytes);
  out.segments = {
      {"status page", layout.status_page, out.status_page},
      {"boot_params", layout.boot_params, out.boot_params},
      {"cmdline", layout.cmdline, out.cmdline_bytes},
      {"acpi", layout.acpi, out.acpi.blob},
      {"shared", layout.shared, out.shared},
      {"kernel", layout.kernel, protected_mode},
  };
  if (!in.initrd_bytes.empty()) out.segments.push_back({"initrd", layout.initrd, in.initrd_bytes});
  return out;
}

}  // namespace mint
