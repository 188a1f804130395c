// mint inventory / check / plan / down: a whole-machine plan, validated before anything boots.
#include <dirent.h>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app.h"
#include "artifacts.h"
#include "commands.h"
#include "devices.h"
#include "files.h"
#include "host_device.h"
#include "images.h"
#include "inventory.h"
#include "lifecycle.h"
#include "live_inventory.h"
#include "plan_check.h"

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
  cmd->add_flag("--live", args.live, "the same against this machine, read now")->excludes(file);
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
  out.check = ParsePlanAll(std::string(bytes.begin(), bytes.end()), path);
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
    NodeImage image{images->image, images->initrd.size()};
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

std::string Cores(const std::vector<uint32_t>& cpus) {
  std::string out;
  for (uint32_t cpu : cpus) out += (out.empty() ? "" : ",") + std::to_string(cpu);
  return out;
}

uint64_t LowSlicesInUse(const Plan& plan) {
  uint64_t count = 0;
  for (const NodePlan& node : plan.nodes) count += node.low ? 1 : 0;
  return count;
}

// ------------------------------------------------------------------------------------------
// The map: every region of interest, in address order.

struct Region {
  PhysRange range;
  std::string what;  // "host RAM", "reserved (free)", "node alpha", ...
  std::string kind;  // "ram", "reserved", "node", "low", "trampoline", "window"
  int node = -1;     // index of the node owning it
};

std::vector<Region> MapRegions(const Plan& plan, const Inventory* inventory) {
  std::vector<Region> out;
  std::vector<PhysRange> owned;
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    const NodePlan& node = plan.nodes[i];
    for (const PhysRange& r : node.memory) {
      out.push_back({r, "node " + node.name, "node", static_cast<int>(i)});
      owned.push_back(r);
    }
    if (node.low) {
      out.push_back({*node.low, "low slice of " + node.name, "low", static_cast<int>(i)});
      owned.push_back(*node.low);
    }
  }
  const PhysRange& window = plan.host.low_window;
  PhysRange trampoline{window.start, std::min(window.end, window.start + kTrampolineBytes)};
  out.push_back({trampoline, "trampoline", "trampoline"});
  owned.push_back(trampoline);
  if (plan.host.store) {
    out.push_back({*plan.host.store, "image store", "store"});
    owned.push_back(*plan.host.store);
  }
  // Free parts of the reserved ranges and of the low window.
  auto free_parts = [&](const PhysRange& whole, const std::string& what, const std::string& kind) {
    std::vector<PhysRange> inside;
    for (const PhysRange& r : owned) {
      if (r.Overlaps(whole))
        inside.push_back({std::max(r.start, whole.start), std::min(r.end, whole.end)});
    }
    std::sort(inside.begin(), inside.end(),
              [](const PhysRange& a, const PhysRange& b) { return a.start < b.start; });
    uint64_t cursor = whole.start;
    for (const PhysRange& r : inside) {
      if (r.start > cursor) out.push_back({{cursor, r.start}, what, kind});
      cursor = std::max(cursor, r.end);
    }
    if (cursor < whole.end) out.push_back({{cursor, whole.end}, what, kind});
  };
  for (const PhysRange& r : plan.host.reserved) free_parts(r, "reserved, free", "reserved");
  free_parts(window, "low window, free", "window");
  if (inventory) {
    for (const PhysRange& r : inventory->ram) {
      // Below 1 MiB the low window lies inside host RAM: show the RAM around it only.
      std::vector<PhysRange> pieces{r};
      if (r.Overlaps(window)) {
        pieces.clear();
        if (r.start < window.start) pieces.push_back({r.start, window.start});
        if (r.end > window.end) pieces.push_back({window.end, r.end});
      }
      for (const PhysRange& p : pieces) out.push_back({p, "host RAM", "ram"});
    }
  }
  std::sort(out.begin(), out.end(), [](const Region& a, const Region& b) {
    return a.range.start < b.range.start ||
           (a.range.start == b.range.start && a.range.end < b.range.end);
  });
  return out;
}

std::string Size(uint64_t bytes) {
  char text[32];
  if (bytes >= (uint64_t{1} << 30) && bytes % (uint64_t{1} << 30) == 0)
    std::snprintf(text, sizeof(text), "%llu GiB", static_cast<unsigned long long>(bytes >> 30));
  else if (bytes >= (1u << 20))
    std::snprintf(text, sizeof(text), "%.0f MiB", static_cast<double>(bytes) / (1 << 20));
  else
    std::snprintf(text, sizeof(text), "%llu KiB", static_cast<unsigned long long>(bytes >> 10));
  return text;
}

// Core map: every APIC ID the plan or the inventory names, with its owner.
std::vector<std::pair<uint32_t, std::string>> CoreMap(const Plan& plan,
                                                      const Inventory* inventory) {
  std::map<uint32_t, std::string> owners;
  if (inventory) {
    for (const InventoryCore& core : inventory->cores)
      owners[core.apic_id] = core.online ? "host (online)" : "free";
  }
  for (uint32_t cpu : plan.host.cpus) owners[cpu] = "host";
  for (const NodePlan& node : plan.nodes) {
    for (size_t i = 0; i < node.cpus.size(); ++i)
      owners[node.cpus[i]] = node.name + (i == 0 ? " (boot core)" : "");
  }
  return {owners.begin(), owners.end()};
}

const char* kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1",
                          "#edc948", "#76b7b2", "#ff9da7", "#9c755f"};

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out += c;
  }
  return out;
}

// The memory map as boxes in address order (widths grow with the square root of the size, so
// a 32 KiB slice and a 1 GiB node both stay readable), then the core map.
std::string MapSvg(const std::string& title, const Plan& plan, const std::vector<Region>& regions,
                   const std::vector<std::pair<uint32_t, std::string>>& cores) {
  auto colour = [&](const Region& r) -> std::string {
    if (r.node >= 0) return kPalette[r.node % 8];
    if (r.kind == "ram") return "#bab0ac";
    if (r.kind == "trampoline") return "#e15759";
    if (r.kind == "store") return "#d4a6c8";
    return "#eeeeee";
  };
  const double kRowWidth = 1100, kLeft = 20, kBoxHeight = 54;
  std::vector<double> widths;
  double total = 0;
  for (const Region& r : regions) {
    double w = 14 + std::sqrt(static_cast<double>(r.range.size()) / 4096.0);
    widths.push_back(w);
    total += w;
  }
  // Rows of boxes, scaled so each row is at most kRowWidth wide.
  double scale = total > 0 ? std::min(1.0, 3 * kRowWidth / total) : 1;
  std::ostringstream body;
  double x = kLeft, y = 60;
  for (size_t i = 0; i < regions.size(); ++i) {
    double w = std::max(70.0, widths[i] * scale);
    if (x + w > kLeft + kRowWidth) {
      x = kLeft;
      y += kBoxHeight + 40;
    }
    const Region& r = regions[i];
    body << "<rect x='" << x << "' y='" << y << "' width='" << w - 2 << "' height='" << kBoxHeight
         << "' fill='" << colour(r) << "' stroke='#333'/>\n";
    body << "<text x='" << x + 4 << "' y='" << y + 18 << "' font-size='11'>" << Escape(r.what)
         << "</text>\n";
    body << "<text x='" << x + 4 << "' y='" << y + 34 << "' font-size='10'>" << Size(r.range.size())
         << "</text>\n";
    body << "<text x='" << x + 4 << "' y='" << y + kBoxHeight + 12 << "' font-size='9' fill='#555'>"
         << Hex(r.range.start) << "</text>\n";
    x += w;
  }
  y += kBoxHeight + 50;
  body << "<text x='" << kLeft << "' y='" << y
       << "' font-size='14' font-weight='bold'>cores (APIC ID: owner)</text>\n";
  y += 12;
  x = kLeft;
  for (const auto& [apic, owner] : cores) {
    int node = -1;
    for (size_t i = 0; i < plan.nodes.size(); ++i) {
      if (std::find(plan.nodes[i].cpus.begin(), plan.nodes[i].cpus.end(), apic) !=
          plan.nodes[i].cpus.end())
        node = static_cast<int>(i);
    }
    std::string fill = node >= 0                   ? kPalette[node % 8]
                       : owner.starts_with("host") ? "#bab0ac"
                                                   : "#eeeeee";
    if (x + 130 > kLeft + kRowWidth) {
      x = kLeft;
      y += 50;
    }
    body << "<rect x='" << x << "' y='" << y << "' width='126' height='40' fill='" << fill
         << "' stroke='#333'/>\n<text x='" << x + 6 << "' y='" << y + 24 << "' font-size='11'>"
         << apic << ": " << Escape(owner) << "</text>\n";
    x += 130;
  }
  y += 60;
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << kRowWidth + 2 * kLeft << "' height='"
      << y << "' font-family='sans-serif'>\n"
      << "<rect width='100%' height='100%' fill='white'/>\n"
      << "<text x='" << kLeft << "' y='24' font-size='16' font-weight='bold'>" << Escape(title)
      << "</text>\n<text x='" << kLeft
      << "' y='44' font-size='12' fill='#555'>memory in address order (box width grows with the "
         "square root of the size; the start address under each box)</text>\n"
      << body.str() << "</svg>\n";
  return svg.str();
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
        nlohmann::json memory = nlohmann::json::array();
        for (const PhysRange& r : node->memory) memory.push_back(FormatRange(r));
        entry["memory"] = memory;
        if (node->low) entry["low"] = FormatRange(*node->low);
      }
      if (nc.layout) entry["kernel_at"] = Hex(nc.layout->kernel);
      if (nc.needs_bytes) entry["needs_bytes"] = nc.needs_bytes;
      if (!nc.image_note.empty()) entry["image"] = "not checked: " + nc.image_note;
      nodes.push_back(entry);
    }
    out["nodes"] = nodes;
    out["low_window"] = {{"range", FormatRange(plan.host.low_window)},
                         {"slice_bytes", kDefaultLowSlice},
                         {"min_slice_bytes", kMinLowSlice},
                         {"holds_nodes", capacity},
                         {"slices_used", LowSlicesInUse(plan)}};
    std::cout << out.dump(2) << "\n";
    return problems.empty() ? 0 : 1;
  }
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
              << "): cores " << Cores(node->cpus) << ", memory";
    uint64_t total = 0;
    for (const PhysRange& r : node->memory) {
      std::cout << " " << FormatRange(r);
      total += r.size();
    }
    std::cout << " (" << Size(total) << "), low " << FormatRange(*node->low);
    if (nc.layout)
      std::cout << ", kernel at " << Hex(nc.layout->kernel) << ", needs " << Size(nc.needs_bytes);
    else
      std::cout << ", image not checked: " << nc.image_note;
    std::cout << "\n";
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
  auto plan = MINT_TRY(LoadPlanFile(args.plan));
  const mint::Inventory* inv = have_inventory ? &inventory : nullptr;
  std::vector<Region> regions = MapRegions(plan, inv);
  auto cores = CoreMap(plan, inv);
  std::cout << "memory map of " << args.plan << ":\n";
  for (const Region& r : regions)
    std::cout << "  " << std::left << std::setw(26) << FormatRange(r.range) << std::right
              << std::setw(9) << Size(r.range.size()) << "  " << r.what << "\n";
  std::cout << "cores (APIC ID: owner):\n";
  for (const auto& [apic, owner] : cores)
    std::cout << "  " << std::setw(4) << apic << "  " << owner << "\n";
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
  auto plan = MINT_TRY(LoadPlanFile(args.plan));
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
      "its cores, zeroes its memory and gives its cores, memory and devices back to the host.");
  cmd->add_option("PLAN", args->plan, "the plan file")->required();
  cmd->add_option("--device", args->device, "the host module's device")->capture_default_str();
  cmd->callback([args, &chosen] { chosen = [args] { return RunDown(*args); }; });
}

}  // namespace mint::cli
