// mint inventory / check / plan / down: a whole-machine plan, validated before anything boots.
#include <dirent.h>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "app.h"
#include "artifacts.h"
#include "boot_config.h"
#include "commands.h"
#include "devices.h"
#include "files.h"
#include "host_device.h"
#include "host_setup.h"
#include "images.h"
#include "inventory.h"
#include "lifecycle.h"
#include "live_inventory.h"
#include "plan_check.h"
#include "plan_map.h"
#include "plan_site.h"

namespace mint::cli {
namespace {

// --inventory FILE | --live, as check and plan take them.
struct InventoryArgs {
  std::string file;
  bool live = false;
};

void AddInventoryOptions(CLI::App* cmd, InventoryArgs& args) {
  auto* file = cmd->add_option("--inventory", args.file,
                               "also check against a machine ('mint inventory --json' output): "
                               "host RAM, reserved ranges, unknown APIC IDs, cores online in the "
                               "host");
  cmd->add_flag("--live", args.live,
                "the same against this machine, read now; check also names the host kernel "
                "options the plan needs that /proc/cmdline lacks, and says when Secure Boot "
                "restricts modules")
      ->excludes(file);
}

Result<Inventory> LoadInventory(const InventoryArgs& args, const std::string& device, bool& have) {
  const std::string& file = args.file;
  bool live = args.live;
  have = false;
  if (live) {
    have = true;
    auto built = MINT_TRY(ReadLiveInventory(device));
    for (const std::string& note : built.notes) std::cerr << "mint: inventory: " << note << "\n";
    return built.inventory;
  }
  if (!file.empty()) {
    have = true;
    auto bytes = MINT_TRY(ReadFile(file, "inventory"));
    return ParseInventoryJson(std::string(bytes.begin(), bytes.end()), file);
  }
  return Inventory{};
}

struct Checked {
  PlanCheck check;
  std::vector<NodeCheck> nodes;
};

Result<Checked> RunChecks(const std::string& path, const Inventory* inventory) {
  auto bytes = MINT_TRY(ReadFile(path, "plan file"));
  Checked out;
  out.check = ParsePlanAll(std::string(bytes.begin(), bytes.end()), path, HostPlanVariables());
  // A syntax error leaves nothing to check further.
  if (!out.check.problems.empty() && out.check.plan.nodes.empty() &&
      out.check.problems.front().column > 0)
    return out;
  std::map<std::string, std::unique_ptr<LoadedImages>> loaded;
  PlanCheckOptions options;
  options.inventory = inventory;
  options.images = [&](const NodePlan& node) -> Result<NodeImage> {
    if (node.kernel.empty()) return Fail("no kernel");
    auto images = ReadImages(node);
    if (!images) return images.take_error();
    NodeImage image{images->image, images->initrd.size(), images->module};
    loaded[node.name] = std::make_unique<LoadedImages>(std::move(*images));
    return image;
  };
  out.nodes = CheckPlan(out.check, options);
  // What only building the node's artifacts finds (options Mint sets itself in the command
  // line, ACPI limits), for nodes whose layout worked out.
  for (const NodeCheck& node_check : out.nodes) {
    bool has_problem = std::any_of(out.check.problems.begin(), out.check.problems.end(),
                                   [&](const PlanProblem& p) {
                                     return p.message.starts_with("node " + node_check.name + ": ");
                                   });
    if (!node_check.layout || has_problem) continue;
    const NodePlan* node = out.check.plan.FindNode(node_check.name);
    auto it = loaded.find(node_check.name);
    if (node == nullptr || it == loaded.end()) continue;
    NodeInputs inputs{node, it->second->kernel, &it->second->image, it->second->initrd,
                      inventory && inventory->tsc_khz ? inventory->tsc_khz : 1000000};
    std::optional<NodeLink> link = NodeLinkOf(out.check.plan, *node);
    inputs.link = link ? &*link : nullptr;
    std::vector<NodeDirectLink> direct_links = DirectLinksOf(out.check.plan, *node);
    inputs.direct_links = &direct_links;
    auto art = BuildNodeArtifacts(inputs);
    if (!art) {
      std::string message = art.error().message;
      if (!message.starts_with("node ")) message = "node " + node->name + ": " + message;
      out.check.problems.push_back({out.check.NodeLine(*node), message});
    }
  }
  std::stable_sort(out.check.problems.begin(), out.check.problems.end(),
                   [](const PlanProblem& a, const PlanProblem& b) { return a.line < b.line; });
  return out;
}

struct MachineArgs {
  std::string plan;
  std::string device = "/dev/mint";
  bool json = false;
  std::string svg;
  InventoryArgs inventory;
};

Result<int> RunInventory(const MachineArgs& args) {
  auto built = MINT_TRY(ReadLiveInventory(args.device));
  for (const std::string& note : built.notes) std::cerr << "mint: inventory: " << note << "\n";
  const mint::Inventory& inv = built.inventory;
  if (args.json) {
    std::cout << InventoryToJson(inv) << "\n";
    return 0;
  }
  std::cout << "memory (/proc/iomem):\n";
  for (const PhysRange& r : inv.ram)
    std::cout << "  " << std::left << std::setw(26) << FormatRange(r) << std::setw(10)
              << Size(r.size()) << " host RAM\n";
  for (const PhysRange& r : inv.reserved)
    std::cout << "  " << std::left << std::setw(26) << FormatRange(r) << std::setw(10)
              << Size(r.size()) << " reserved\n";
  if (!inv.firmware.empty()) {
    std::cout << "firmware memory map (/sys/firmware/memmap):\n";
    for (const FirmwareMemoryEntry& e : inv.firmware)
      std::cout << "  " << std::left << std::setw(26) << FormatRange(e.range) << e.type << "\n";
  }
  std::cout << "cores (APIC ID: state):\n";
  for (const InventoryCore& core : inv.cores) {
    std::cout << "  " << std::setw(4) << core.apic_id << " "
              << (core.online    ? "online in the host"
                  : core.enabled ? "offline (free for nodes)"
                                 : "disabled in the MADT");
    if (core.cpu) std::cout << " (cpu" << *core.cpu << ")";
    std::cout << "\n";
  }
  std::cout << "TSC: " << inv.tsc_khz << " kHz (" << inv.tsc_source << ")\n";
  // Devices a node could own (docs/devices.md): each root port's bus and what is on it.
  if (inv.pci.ecam)
    std::cout << "ECAM: " << Hex(inv.pci.ecam->base) << " (domain " << inv.pci.ecam->domain
              << ", buses " << int{inv.pci.ecam->start_bus} << "-" << int{inv.pci.ecam->end_bus}
              << ")\n";
  for (const PciFunction& port : inv.pci.functions) {
    if (!port.is_bridge) continue;
    std::cout << "PCI bridge " << FormatPciAddress(port.address) << " -> bus "
              << int{port.secondary_bus};
    if (port.subordinate_bus != port.secondary_bus) std::cout << "-" << int{port.subordinate_bus};
    std::cout << ":";
    bool any = false;
    for (const PciFunction& f : inv.pci.functions) {
      if (f.address.domain != port.address.domain || f.address.bus != port.secondary_bus) continue;
      any = true;
      std::cout << " " << FormatPciAddress(f.address) << " ("
                << (f.driver.empty() ? std::string("no driver") : f.driver)
                << (f.driver_override.empty() ? "" : ", override " + f.driver_override) << ")";
    }
    std::cout << (any ? "\n" : " empty\n");
  }
  for (const AcpiIoApic& io_apic : inv.io_apics)
    std::cout << "IO-APIC " << int{io_apic.id} << " at " << Hex(io_apic.address) << ", GSI "
              << io_apic.gsi_base << " and up" << (io_apic.gsi_base == 0 ? " (the host's)" : "")
              << "\n";
  for (const MmioDevice& transport : inv.virtio_mmio)
    std::cout << "virtio-mmio " << transport.name << " at " << FormatRange(transport.range) << " ("
              << (transport.driver.empty() ? std::string("no driver") : transport.driver) << ")\n";
  return 0;
}

Result<int> RunCheck(const MachineArgs& args) {
  bool have_inventory = false;
  auto inventory = MINT_TRY(LoadInventory(args.inventory, "/dev/mint", have_inventory));
  auto checked = MINT_TRY(RunChecks(args.plan, have_inventory ? &inventory : nullptr));
  const Plan& plan = checked.check.plan;
  const auto& problems = checked.check.problems;
  uint64_t capacity = LowWindowCapacity(plan.host.low_window);
  // On the machine itself (--live): the boot options the plan needs that the running kernel
  // lacks, and whether Secure Boot keeps an unsigned mint.ko out.
  std::vector<std::string> host_notes;
  if (args.inventory.live && !(plan.nodes.empty() && !problems.empty())) {
    auto cmdline = ReadRunningCmdline("/");
    host_notes =
        HostNotes(plan, args.plan, cmdline ? *cmdline : std::string(), ReadSecureBootState("/"));
    if (!cmdline) host_notes.insert(host_notes.begin(), cmdline.error().message);
  }
  if (args.json) {
    nlohmann::ordered_json out;
    out["plan"] = args.plan;
    out["ok"] = problems.empty();
    nlohmann::json list = nlohmann::json::array();
    for (const PlanProblem& p : problems)
      list.push_back({{"line", p.line}, {"message", p.message}});
    out["problems"] = list;
    nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
    for (const NodeCheck& nc : checked.nodes) {
      const NodePlan* node = plan.FindNode(nc.name);
      nlohmann::ordered_json entry;
      entry["name"] = nc.name;
      entry["arch"] = nc.arch;
      if (node) {
        entry["cpus"] = node->cpus;
        if (!node->receive_cpus.empty()) entry["receive_cpus"] = node->receive_cpus;
        nlohmann::json memory = nlohmann::json::array();
        for (const PhysRange& r : node->memory) memory.push_back(FormatRange(r));
        entry["memory"] = memory;
        if (!node->receive_memory.empty()) {
          nlohmann::json receive = nlohmann::json::array();
          for (const PhysRange& r : node->receive_memory) receive.push_back(FormatRange(r));
          entry["receive_memory"] = receive;
        }
        if (node->low) entry["low"] = FormatRange(*node->low);
        // Only for a node with a network link: other plans' JSON stays as it was.
        if (node->address) entry["address"] = FormatIpv4(*node->address);
        if (node->link) entry["link"] = FormatRange(*node->link);
      }
      if (nc.layout) entry["kernel_at"] = Hex(nc.layout->kernel);
      if (nc.needs_bytes) entry["needs_bytes"] = nc.needs_bytes;
      if (!nc.image_note.empty()) entry["image"] = "not checked: " + nc.image_note;
      nodes.push_back(entry);
    }
    out["nodes"] = nodes;
    if (args.inventory.live) out["host_notes"] = host_notes;
    // Only for a plan with [[link]]s: other plans' JSON stays as it was.
    if (!plan.links.empty()) {
      nlohmann::ordered_json links = nlohmann::ordered_json::array();
      for (const DirectLinkPlan& link : plan.links) {
        nlohmann::ordered_json entry;
        entry["name"] = link.Name();
        entry["nodes"] = link.nodes;
        entry["subnet"] = FormatSubnet(link.subnet);
        entry["addresses"] = {FormatIpv4(link.Address(0)), FormatIpv4(link.Address(1))};
        if (link.region) entry["region"] = FormatRange(*link.region);
        entry["ring_bytes"] = link.ring;
        links.push_back(entry);
      }
      out["links"] = links;
    }
    out["low_window"] = {{"range", FormatRange(plan.host.low_window)},
                         {"slice_bytes", kDefaultLowSlice},
                         {"min_slice_bytes", kMinLowSlice},
                         {"holds_nodes", capacity},
                         {"slices_used", LowSlicesInUse(plan)}};
    std::cout << out.dump(2) << "\n";
    return problems.empty() ? 0 : 1;
  }
  for (const std::string& note : host_notes) std::cout << "host: " << note << "\n";
  if (!problems.empty()) {
    std::cerr << FormatProblems(problems, args.plan) << "\n"
              << "mint: " << args.plan << ": " << problems.size()
              << " problem(s); nothing was booted\n";
    return 1;
  }
  for (const NodeCheck& nc : checked.nodes) {
    const NodePlan* node = plan.FindNode(nc.name);
    if (node == nullptr) continue;
    std::cout << "node " << node->name << " (" << (nc.arch.empty() ? "arch ?" : nc.arch)
              << "): cores " << Cores(node->cpus);
    if (!node->receive_cpus.empty())
      std::cout << " (may receive " << Cores(node->receive_cpus) << ")";
    std::cout << ", memory";
    uint64_t total = 0;
    for (const PhysRange& r : node->memory) {
      std::cout << " " << FormatRange(r);
      total += r.size();
    }
    std::cout << " (" << Size(total) << ")";
    if (!node->receive_memory.empty()) {
      uint64_t receivable = 0;
      for (const PhysRange& r : node->receive_memory) receivable += r.size();
      std::cout << " (may receive " << Size(receivable) << ")";
    }
    std::cout << ", low " << FormatRange(*node->low);
    if (nc.layout)
      std::cout << ", kernel at " << Hex(nc.layout->kernel) << ", needs " << Size(nc.needs_bytes);
    else
      std::cout << ", image not checked: " << nc.image_note;
    if (std::optional<NodeLink> link = NodeLinkOf(plan, *node))
      std::cout << ", link " << FormatRange(link->region) << " (" << Size(link->region.size())
                << ") as " << FormatIpv4(link->address) << "/" << link->subnet.prefix << " on "
                << link->ifname;
    std::cout << "\n";
  }
  if (plan.network)
    std::cout << "network: bridge " << plan.network->bridge << " "
              << FormatIpv4(plan.network->HostAddress()) << "/" << plan.network->subnet.prefix
              << ", rings of " << Size(plan.network->ring) << " per side and link\n";
  for (const DirectLinkPlan& link : plan.links) {
    if (link.nodes.size() != 2 || !link.region) continue;
    const std::string prefix = "/" + std::to_string(link.subnet.prefix);
    std::cout << "link " << link.Name() << ": region " << FormatRange(*link.region) << " ("
              << Size(link.region->size()) << ", rings of " << Size(link.ring) << "), "
              << link.nodes[0] << " " << FormatIpv4(link.Address(0)) << prefix << ", "
              << link.nodes[1] << " " << FormatIpv4(link.Address(1)) << prefix
              << ", not through the host\n";
  }
  std::cout << "low window " << FormatRange(plan.host.low_window) << ": holds " << capacity
            << " node(s) of " << (kDefaultLowSlice >> 10) << " KiB after the "
            << (kTrampolineBytes >> 10) << " KiB trampoline; " << LowSlicesInUse(plan)
            << " slice(s) used\n";
  std::cout << args.plan << ": ok, " << plan.nodes.size() << " node(s)"
            << (have_inventory ? ", checked against " + inventory.source : "") << "\n";
  return 0;
}

Result<int> RunPlanMap(const MachineArgs& args) {
  const std::string& svg_path = args.svg;
  bool have_inventory = false;
  auto inventory = MINT_TRY(LoadInventory(args.inventory, "/dev/mint", have_inventory));
  auto plan = MINT_TRY(LoadHostPlan(args.plan));
  const mint::Inventory* inv = have_inventory ? &inventory : nullptr;
  std::vector<Region> regions = MapRegions(plan, inv);
  CoreOwners cores = CoreMap(plan, inv);
  std::cout << MapText(args.plan, regions, cores);
  std::cout << "boot the host with: " << HostKernelArgs(plan.host) << "\n";
  if (!svg_path.empty()) {
    std::ofstream out(svg_path);
    out << MapSvg("mint plan " + args.plan, plan, regions, cores);
    if (!out) return Fail("cannot write ", svg_path);
    std::cout << "wrote " << svg_path << "\n";
  }
  return 0;
}

Result<int> RunDown(const MachineArgs& args) {
  auto plan = MINT_TRY(LoadHostPlan(args.plan));
  auto host = MINT_TRY(HostDevice::Open(args.device));
  int stopped = 0;
  for (const NodePlan& node : plan.nodes) {
    if (MINT_TRY(StopNodeNamed(*host, node.name))) {
      std::cout << "mint: node " << node.name << " stopped\n";
      ++stopped;
    }
  }
  std::cout << "mint: " << stopped << " of " << plan.nodes.size() << " node(s) of " << args.plan
            << " were running and are stopped\n";
  return 0;
}

}  // namespace

void AddInventory(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<MachineArgs>();
  CLI::App* cmd = app.add_subcommand(
      "inventory", "what this machine has: host RAM, reserved ranges, cores by APIC ID, TSC rate");
  cmd->footer(
      "Shows what this machine has for nodes: host RAM and reserved ranges (/proc/iomem, the\n"
      "firmware map under /sys/firmware/memmap), every core by APIC ID (the firmware MADT) and\n"
      "whether the host runs on it, the TSC rate (the host module's, else /proc/cpuinfo), and\n"
      "the devices a node could own. Run as root (/proc/iomem and the MADT hide their contents\n"
      "from others). 'mint inventory --json > FILE' then 'mint check PLAN --inventory FILE'\n"
      "validates a plan on another machine.");
  cmd->add_flag("--json", args->json, "machine-readable");
  cmd->add_option("--device", args->device, "the host module's device")->capture_default_str();
  cmd->callback([args, &chosen] { chosen = [args] { return RunInventory(*args); }; });
}

void AddCheck(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<MachineArgs>();
  CLI::App* cmd = app.add_subcommand("check", "validate a plan, listing every problem");
  cmd->footer(
      "Validates a plan without touching the machine and lists every problem, each with its line\n"
      "in the plan file: syntax and types, names, cores (duplicates, the host's), memory (inside\n"
      "the reserved ranges, overlaps, alignment, enough for the kernel, initrd and a working\n"
      "margin, 64 MiB below 4 GiB for x86_64, below 896 MiB for i386), low slices (size,\n"
      "overlaps, how many the low window holds). Kernel images are read when the files exist.\n"
      "Exits 0 when the plan is good, 1 when it has problems.");
  cmd->add_option("PLAN", args->plan, "the plan file")->required();
  AddInventoryOptions(cmd, args->inventory);
  cmd->add_flag("--json", args->json, "the result as JSON");
  cmd->callback([args, &chosen] { chosen = [args] { return RunCheck(*args); }; });
}

void AddPlan(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<MachineArgs>();
  CLI::App* cmd = app.add_subcommand("plan", "draw a plan's memory map and core map");
  cmd->footer(
      "Draws the plan: the memory map (host RAM when an inventory is given, reserved ranges,\n"
      "each node's ranges, the low window with the trampoline and every node's slice) and the\n"
      "core map, and the host kernel options the plan needs.");
  cmd->add_option("PLAN", args->plan, "the plan file")->required();
  cmd->add_option("--svg", args->svg, "also write the map as a picture (SVG)");
  AddInventoryOptions(cmd, args->inventory);
  cmd->callback([args, &chosen] { chosen = [args] { return RunPlanMap(*args); }; });
}

void AddDown(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<MachineArgs>();
  CLI::App* cmd = app.add_subcommand("down", "stop every running node of a plan");
  cmd->footer(
      "Stops every node of the plan that is running (as 'mint stop NODE' does for one): parks\n"
      "its cores, zeroes its memory and gives its cores, memory and devices back to the host.\n"
      "A node's network device on the host (mint-NAME) stays, its carrier down, with its\n"
      "counters and its place in the bridge, for the node's next boot; the devices go when\n"
      "mint.ko is unloaded (docs/network.md).");
  cmd->add_option("PLAN", args->plan, "the plan file")->required();
  cmd->add_option("--device", args->device, "the host module's device")->capture_default_str();
  cmd->callback([args, &chosen] { chosen = [args] { return RunDown(*args); }; });
}

}  // namespace mint::cli
