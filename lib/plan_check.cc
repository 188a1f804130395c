#include "plan_check.h"
#include "format.h"
#include "virtio_mmio.h"

#include <algorithm>
#include <sstream>

#include "boot_protocol.h"
#include "byte_reader.h"

namespace mint {
namespace {

std::string RangeList(const std::vector<PhysRange>& ranges) {
  std::string out;
  for (const PhysRange& r : ranges) out.append(out.empty() ? "" : ", ").append(FormatRange(r));
  return out.empty() ? "none" : out;
}

void CheckImage(const NodePlan& node, const SectionLines& lines, const NodeImage& image,
                NodeCheck& result, std::vector<PlanProblem>& problems) {
  const std::string where = "node " + node.name;
  const KernelImage& kernel = image.kernel;
  const int memory_line = lines.Of("memory");
  auto problem = [&](int line, const std::string& text) {
    problems.push_back({line, where + ": " + text});
  };
  if (!node.arch.empty() && node.arch != kernel.arch)
    problem(lines.line, "the plan says arch " + node.arch + " but " + node.kernel + " is an " +
                            kernel.arch + " kernel");
  if (node.arch.empty()) CheckArchMemory(node, kernel.arch, memory_line, problems);
  if (image.module) {
    std::string refusal = NodeModuleProblem(node, *image.module);
    if (!refusal.empty())
      problems.push_back({lines.Of(node.node_module.empty() ? "kernel" : "node_module"), refusal});
  }
  // A low slice below the minimum is a problem of the plan already (ParsePlanAll).
  if (node.memory.empty() || !node.low || node.low->size() < kMinLowSlice) return;
  std::vector<PhysRange> memory = node.memory;
  std::sort(memory.begin(), memory.end(),
            [](const PhysRange& a, const PhysRange& b) { return a.start < b.start; });
  uint64_t alignment = std::max<uint64_t>(kernel.header.kernel_alignment, kPage);
  if (memory.front().start % alignment != 0)
    problem(memory_line, "memory " + FormatRange(memory.front()) +
                             " holds the kernel and must start on a kernel_alignment "
                             "boundary (" +
                             Hex(alignment) + " for " + node.kernel + "), e.g. at " +
                             Hex(*AlignUp(memory.front().start, alignment)));
  auto layout = PlanNodeLayout(memory, *node.low, kernel, image.initrd_size);
  if (!layout) {
    problem(memory_line, layout.error().message);
    return;
  }
  uint64_t total = 0;
  for (const PhysRange& r : memory) total += r.size();
  uint64_t needs = (layout->kernel - layout->base) + layout->kernel_room +
                   *AlignUp(image.initrd_size, kPage) + kWorkingMargin;
  result.needs_bytes = needs;
  if (total < needs)
    problem(memory_line, "has " + MiBAtLeast(total) + " of memory but needs at least " +
                             MiBAtLeast(needs) + ": " + MiBAtLeast(layout->kernel - layout->base) +
                             " before the kernel (Mint's area and " + "alignment), " +
                             MiBAtLeast(layout->kernel_room) + " for the kernel (init_size), " +
                             MiBAtLeast(image.initrd_size) +
                             " for the initrd and a working margin of " +
                             MiBAtLeast(kWorkingMargin));
  result.layout = std::move(*layout);
}

void CheckInventory(const Plan& plan, const PlanLines& lines, const Inventory& inv,
                    std::vector<PlanProblem>& problems) {
  const HostPlan& host = plan.host;
  auto covered = [](const std::vector<PhysRange>& list, const PhysRange& range) {
    return std::any_of(list.begin(), list.end(),
                       [&](const PhysRange& r) { return r.Contains(range); });
  };
  for (size_t i = 0; i < host.reserved.size(); ++i) {
    const PhysRange& range = host.reserved[i];
    int line = lines.Reserved(i);
    if (!covered(inv.reserved, range))
      problems.push_back(
          {line, "[host] reserved " + FormatRange(range) + " is not reserved in the host (" +
                     inv.source + " has Reserved " + RangeList(inv.reserved) +
                     "): boot the host with memmap=" + Hex(range.size()) + "$" + Hex(range.start)});
  }
  if (!covered(inv.ram, host.low_window))
    problems.push_back(
        {lines.host.Of("low_window"), "[host] low_window " + FormatRange(host.low_window) +
                                          " is not System RAM in the host (" + inv.source + ")"});
  for (size_t index = 0; index < plan.nodes.size(); ++index) {
    const NodePlan& node = plan.nodes[index];
    const int memory_line = lines.Node(index).Of("memory");
    const int cpus_line = lines.Node(index).Of("cpus");
    const std::string where = "node " + node.name;
    for (const PhysRange& range : node.memory) {
      for (const PhysRange& ram : inv.ram) {
        if (ram.Overlaps(range))
          problems.push_back({memory_line, where + ": memory " + FormatRange(range) +
                                               " overlaps host RAM " + FormatRange(ram) +
                                               " (System RAM in " + inv.source + ")"});
      }
      if (!covered(inv.reserved, range))
        problems.push_back({memory_line, where + ": memory " + FormatRange(range) +
                                             " is not inside memory the host reserved (" +
                                             inv.source + " has Reserved " +
                                             RangeList(inv.reserved) + ")"});
    }
    for (uint32_t apic : node.cpus) {
      const InventoryCore* core = inv.FindCore(apic);
      if (core == nullptr) {
        if (!inv.cores_complete) continue;
        std::string known;
        for (const InventoryCore& c : inv.cores)
          known.append(known.empty() ? "" : ", ").append(std::to_string(c.apic_id));
        problems.push_back({cpus_line, where + ": APIC ID " + std::to_string(apic) +
                                           " is not a core of this machine (its MADT lists " +
                                           (known.empty() ? "none" : known) + ")"});
        continue;
      }
      if (!core->enabled)
        problems.push_back({cpus_line, where + ": APIC ID " + std::to_string(apic) +
                                           " is disabled in the machine's MADT"});
      if (core->online)
        problems.push_back(
            {cpus_line,
             where + ": core APIC ID " + std::to_string(apic) + " (cpu" +
                 std::to_string(core->cpu.value_or(0)) +
                 ") is online in the host: take it offline (echo 0 > /sys/devices/system/cpu/cpu" +
                 std::to_string(core->cpu.value_or(0)) +
                 "/online) or boot the host with maxcpus="});
    }
    // A receivable core may be online in the host now: `mint cpu give` takes it offline.
    for (uint32_t apic : node.receive_cpus) {
      if (inv.cores_complete && inv.FindCore(apic) == nullptr)
        problems.push_back({lines.Node(index).Of("receive_cpus"),
                            where + ": receivable APIC ID " + std::to_string(apic) +
                                " is not a core of this machine"});
    }
  }
}

// Devices of their own (docs/devices.md): every PCI function a node owns must exist on the
// machine, fill the bus behind a root port, and be free of host drivers or given up by consent.
void CheckDevices(const Plan& plan, const PlanLines& lines, const Inventory& inventory,
                  std::vector<PlanProblem>& problems) {
  for (size_t index = 0; index < plan.nodes.size(); ++index) {
    const NodePlan& node = plan.nodes[index];
    const int pci_line = lines.Node(index).Of("pci");
    const int mmio_line = lines.Node(index).Of("virtio_mmio");
    if (node.io_apic || !node.virtio_mmio.empty()) {
      auto mmio = ResolveNodeMmio(node, inventory.io_apics, inventory.virtio_mmio);
      if (!mmio)
        problems.push_back(
            {mmio_line ? mmio_line : lines.Node(index).Of("io_apic"), mmio.error().message});
      for (std::string& problem : MmioBindingProblems(node, inventory.virtio_mmio))
        problems.push_back({mmio_line, std::move(problem)});
    }
    if (node.pci.empty()) continue;
    if (inventory.pci.functions.empty()) {
      problems.push_back({pci_line, "node " + node.name +
                                        ": owns PCI functions, but the inventory lists "
                                        "none (read as root on the machine itself)"});
      continue;
    }
    auto buses = ResolveNodePci(node, inventory.pci);
    if (!buses) problems.push_back({pci_line, buses.error().message});
    for (std::string& problem : HostBindingProblems(node, inventory.pci))
      problems.push_back({pci_line, std::move(problem)});
  }
}

}  // namespace

std::vector<NodeCheck> CheckPlan(PlanCheck& check, const PlanCheckOptions& options) {
  std::vector<NodeCheck> nodes;
  for (size_t index = 0; index < check.plan.nodes.size(); ++index) {
    const NodePlan& node = check.plan.nodes[index];
    NodeCheck result;
    result.name = node.name;
    result.arch = node.arch;
    if (!options.images) {
      result.image_note = "images not read";
    } else {
      auto image = options.images(node);
      if (!image) {
        result.image_note = image.error().message;
      } else {
        result.arch = image->kernel.arch;
        CheckImage(node, check.lines.Node(index), *image, result, check.problems);
      }
    }
    nodes.push_back(std::move(result));
  }
  if (options.inventory) {
    CheckInventory(check.plan, check.lines, *options.inventory, check.problems);
    CheckDevices(check.plan, check.lines, *options.inventory, check.problems);
  }
  std::stable_sort(check.problems.begin(), check.problems.end(),
                   [](const PlanProblem& a, const PlanProblem& b) { return a.line < b.line; });
  return nodes;
}

}  // namespace mint
