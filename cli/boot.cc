// mint boot / check / status / stop.
#include <chrono>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "app.h"
#include "artifacts.h"
#include "bzimage.h"
#include "commands.h"
#include "devices.h"
#include "direct_kernel.h"
#include "files.h"
#include "host_device.h"
#include "images.h"
#include "lifecycle.h"
#include "memory_images.h"
#include "node_access.h"
#include "plan_site.h"
#include "root_server.h"
#include "sleep.h"
#include "store_session.h"

namespace mint::cli {
namespace {

const char* E820Name(uint32_t type) {
  switch (static_cast<E820Type>(type)) {
    case E820Type::kRam:
      return "RAM";
    case E820Type::kReserved:
      return "reserved";
    case E820Type::kAcpi:
      return "ACPI data";
    case E820Type::kNvs:
      return "ACPI NVS";
    case E820Type::kUnusable:
      return "unusable";
  }
  return "?";
}

// What booting the node does for its link (MINT_IOC_LINK, then the bridge through netlink).
nlohmann::json LinkJson(const NodeLink& link) {
  return {{"region", {{"start", link.region.start}, {"end", link.region.end}}},
          {"ring", link.ring},
          {"ifname", link.ifname},
          {"host_mac", FormatMac(link.mac[0])},
          {"node_mac", FormatMac(link.mac[1])},
          {"address", FormatIpv4(link.address) + "/" + std::to_string(link.subnet.prefix)},
          {"bridge", link.bridge},
          {"bridge_address",
           FormatIpv4(link.bridge_address) + "/" + std::to_string(link.subnet.prefix)}};
}

nlohmann::json ArtifactsJson(const NodePlan& node, const LoadedImages& images,
                             const NodeArtifacts& art) {
  nlohmann::json e820 = nlohmann::json::array();
  for (const E820Entry& e : art.layout.e820)
    e820.push_back({{"start", e.addr}, {"end", e.addr + e.size}, {"type", E820Name(e.type)}});
  nlohmann::json segments = nlohmann::json::array();
  for (const Segment& s : art.segments)
    segments.push_back({{"what", SegmentName(s)}, {"phys", s.phys}, {"size", s.bytes.size()}});
  nlohmann::json out = {{"node", node.name},
                        {"kernel", node.kernel},
                        {"kernel_version", images.image.version},
                        {"arch", images.image.arch},
                        {"cpus", node.cpus},
                        {"cmdline", art.cmdline},
                        {"entry", art.entry},
                        {"kernel_base", art.kernel_base},
                        {"kaslr_slots", art.kaslr_slots},
                        {"entry_mode", art.long_mode ? "direct (64-bit)" : "decompress (32-bit)"},
                        {"boot_params", art.layout.boot_params},
                        {"status_page", art.layout.status_page},
                        {"rsdp", art.acpi.rsdp_address},
                        {"e820", e820},
                        {"segments", segments}};
  // Only for a node with a link: the JSON of a plan without a network stays as it was.
  if (art.link) out["link"] = LinkJson(*art.link);
  // Likewise only for a node with direct links ([[link]]).
  for (size_t i = 0; i < art.direct_links.size(); ++i) {
    const NodeDirectLink& link = art.direct_links[i];
    const std::string prefix = "/" + std::to_string(link.subnet.prefix);
    out["direct_links"].push_back(
        {{"name", link.name},
         {"device", "mint" + std::to_string(i + 1)},
         {"region", {{"start", link.region.start}, {"end", link.region.end}}},
         {"ring", link.ring},
         {"side", link.side},
         {"peer", link.peer},
         {"mac", FormatMac(link.mac[link.side])},
         {"address", FormatIpv4(link.address) + prefix},
         {"peer_address", FormatIpv4(link.peer_address) + prefix}});
  }
  return out;
}

void PrintArtifacts(const NodePlan& node, const LoadedImages& images, const NodeArtifacts& art) {
  std::cout << "node " << node.name << ": " << images.image.arch << " kernel "
            << images.image.version.substr(0, images.image.version.find(' ')) << ", cores";
  for (uint32_t cpu : node.cpus) std::cout << " " << cpu;
  std::cout << "\n  command line: " << art.cmdline << "\n  e820 map:\n";
  for (const E820Entry& e : art.layout.e820)
    std::cout << "    " << std::setw(20) << std::left << FormatRange({e.addr, e.addr + e.size})
              << " " << E820Name(e.type) << "\n";
  if (!node.pci.empty() || !node.virtio_mmio.empty()) {
    std::cout << "  devices:";
    for (const std::string& function : node.pci) std::cout << " PCI " << function;
    if (node.io_apic) std::cout << " IO-APIC " << *node.io_apic;
    for (const VirtioMmioTransport& t : node.virtio_mmio)
      std::cout << " virtio-mmio " << FormatVirtioMmio(t);
    std::cout << "\n  ACPI: DSDT " << art.acpi.dsdt.size << " bytes"
              << (art.acpi.mcfg.size ? ", MCFG " + std::to_string(art.acpi.mcfg.size) + " bytes"
                                     : std::string())
              << "\n";
  }
  if (art.link) {
    const NodeLink& link = *art.link;
    const std::string prefix = "/" + std::to_string(link.subnet.prefix);
    std::cout << "  network link: region " << FormatRange(link.region) << " ("
              << Bytes(link.region.size()) << ", rings of " << Bytes(link.ring) << "), host device "
              << link.ifname << " " << FormatMac(link.mac[0]) << ", node " << FormatMac(link.mac[1])
              << " " << FormatIpv4(link.address) << prefix << "\n    bridge " << link.bridge << " "
              << FormatIpv4(link.bridge_address) << prefix << " (created when missing), "
              << link.ifname << " enslaved to it\n";
  }
  for (size_t i = 0; i < art.direct_links.size(); ++i) {
    const NodeDirectLink& link = art.direct_links[i];
    const std::string prefix = "/" + std::to_string(link.subnet.prefix);
    std::cout << "  direct link " << link.name << ": region " << FormatRange(link.region) << " ("
              << Bytes(link.region.size()) << ", rings of " << Bytes(link.ring) << "), device mint"
              << (i + 1) << " side " << link.side << " " << FormatMac(link.mac[link.side]) << " "
              << FormatIpv4(link.address) << prefix << ", peer " << link.peer << " "
              << FormatIpv4(link.peer_address) << ", not through the host\n";
  }
  std::cout << "  segments:\n";
  for (const Segment& s : art.segments)
    std::cout << "    " << std::setw(12) << std::left << SegmentName(s) << " " << std::setw(24)
              << FormatRange({s.phys, s.phys + s.bytes.size()}) << " " << Bytes(s.bytes.size())
              << "\n";
  std::cout << "  entry " << Hex(art.entry)
            << (art.long_mode ? " (64-bit, direct: decompressor skipped)" : " (32-bit)");
  if (art.kaslr_slots > 0)
    std::cout << ", kernel at " << Hex(art.kernel_base) << " (KASLR: one of " << art.kaslr_slots
              << " 2 MiB slots)";
  std::cout << ", boot_params " << Hex(art.layout.boot_params) << ", RSDP "
            << Hex(art.acpi.rsdp_address) << ", status page " << Hex(art.layout.status_page)
            << "\n";
}

// mint boot PLAN [NODE] --image SRC.
Result<int> BootImage(const Plan& plan, const std::string& plan_path, const std::string& node,
                      const std::string& source, const std::string& device, int timeout_s,
                      bool json) {
  auto session = MINT_TRY(HostSession::Open(plan, device));
  auto booted = ResumeImage(session, plan, node, source, timeout_s);
  if (!booted) return booted.take_error();
  RememberPlan(plan_path, booted->node);
  if (json) {
    std::cout << nlohmann::json{{"node", booted->node},
                                {"id", booted->id},
                                {"image", source},
                                {"image_bytes", booted->image_bytes},
                                {"page_bytes", booted->page_bytes},
                                {"read_ms", booted->read_ms},
                                {"check_ms", booted->check_ms},
                                {"decompress_ms", booted->decompress_ms},
                                {"zero_ms", booted->zero_ms},
                                {"copy_ms", booted->copy_ms},
                                {"host_ms", booted->host_ms},
                                {"sipi_to_kernel_ms", booted->sipi_to_kernel_ms},
                                {"sipi_to_user_ms", booted->sipi_to_user_ms},
                                {"total_ms", booted->total_ms}}
                     .dump()
              << "\n";
    return 0;
  }
  std::printf(
      "mint: node %s resumed from the memory image %s in %.1f ms: read %.1f ms (%s), check "
      "%.1f ms, LZ4 %.1f ms (%s of pages), zero %.1f ms, copy %.1f ms, then SIPI -> "
      "userspace %.1f ms\n",
      booted->node.c_str(), source.c_str(), booted->total_ms, booted->read_ms,
      Bytes(booted->image_bytes).c_str(), booted->check_ms, booted->decompress_ms,
      Bytes(booted->page_bytes).c_str(), booted->zero_ms, booted->copy_ms, booted->sipi_to_user_ms);
  return 0;
}

struct BootArgs {
  std::string plan;
  std::vector<std::string> nodes;
  int timeout_s = 120;
  bool dry_run = false;
  bool json = false;
  std::string device = "/dev/mint";
  std::string entry = "auto";
  std::string image;
};

Result<int> RunBoot(const BootArgs& a) {
  const std::string& plan_path = a.plan;
  bool json = a.json, dry_run = a.dry_run;
  int timeout_s = a.timeout_s;
  const std::string& device = a.device;
  EntryMode entry_mode = MINT_TRY(ParseEntryMode(a.entry));
  auto plan = MINT_TRY(LoadHostPlan(plan_path));
  if (!a.image.empty()) {
    if (a.nodes.size() > 1) return Fail("--image resumes one node; name at most one");
    if (dry_run) return Fail("--image and --dry-run do not go together");
    std::string node;
    if (!a.nodes.empty()) node = MINT_TRY(PickNodes(plan, plan_path, a.nodes))[0]->name;
    return BootImage(plan, plan_path, node, a.image, device, timeout_s, json);
  }
  std::vector<const NodePlan*> nodes = MINT_TRY(PickNodes(plan, plan_path, a.nodes));

  HostSession session = HostSession::DryRun(plan);
  if (!dry_run) {
    session = MINT_TRY(HostSession::Open(plan, device));
  }
  uint64_t tsc_khz = session.tsc_khz;

  nlohmann::json report = nlohmann::json::array();
  for (const NodePlan* node : nodes) {
    auto prepared = PrepareNode(*node, session, entry_mode);
    if (!prepared) return prepared.take_error();
    const LoadedImages& images = (*prepared)->images;
    const NodeArtifacts& art = (*prepared)->artifacts;
    if (dry_run) {
      if (json)
        report.push_back(ArtifactsJson(*node, images, art));
      else
        PrintArtifacts(*node, images, art);
      continue;
    }
    if (!json)
      std::cout << "mint: booting node " << node->name << " (" << images.image.arch << ", "
                << Bytes(images.kernel.size()) << " kernel, " << Bytes(images.initrd.size())
                << " initrd) on core " << node->cpus[0]
                << (art.long_mode ? ", direct entry" : ", through the decompressor") << "\n"
                << std::flush;
    auto started = StartPrepared(session, **prepared);
    if (!started) return started.take_error();
    double read_ms = (*prepared)->read_ms, build_ms = (*prepared)->build_ms;
    bool long_mode = art.long_mode;
    uint64_t kernel_base = art.kernel_base;
    uint64_t kaslr_slots = art.kaslr_slots;
    const bool root_on_demand = started->root_on_demand;
    const uint64_t root_image_bytes = started->root_image_bytes;
    prepared->reset();  // the images' store views go: the node has its copy
    // Progress as plain lines (a phase change, then every 2 s): a node's console may share
    // this terminal (a serial line in the lab), where redrawing one line in place garbles.
    std::string last_phase;
    double last_print = 0;
    auto progress = [&](const mint_node_status& status, double elapsed) {
      if (json) return;
      const char* phase = status.page.tsc_trampoline ? "kernel booting" : "waking core";
      if (phase == last_phase && elapsed - last_print < 2.0) return;
      last_phase = phase;
      last_print = elapsed;
      std::cout << "  " << node->name << ": " << phase << ", " << std::fixed << std::setprecision(1)
                << elapsed << " s";
      // An on-demand root: how much of the image has crossed the network so far.
      if (root_on_demand)
        std::cout << ", root " << Bytes(RootOverlayBytes(node->name, DefaultRootServerPaths()))
                  << " fetched of " << Bytes(root_image_bytes);
      std::cout << "\n" << std::flush;
    };
    auto ready = WaitReady(*session.host, started->id, std::chrono::seconds(timeout_s), progress);
    if (!ready)
      return Fail(ready.error().message, " (the node keeps its resources; 'mint stop ", node->name,
                  "' gives them back)");
    RememberPlan(plan_path, node->name);  // for mint restart
    const mint_status_page& page = ready->page;
    double init_to_tramp = TscMs(started->stamps.tsc_before_init, page.tsc_trampoline, tsc_khz);
    double tramp_to_ready = TscMs(page.tsc_trampoline, page.tsc_ready, tsc_khz);
    double init_to_ready = TscMs(started->stamps.tsc_before_init, page.tsc_ready, tsc_khz);
    if (json) {
      report.push_back({{"node", node->name},
                        {"id", started->id},
                        {"read_ms", read_ms},
                        {"build_ms", build_ms},
                        {"claim_ms", started->claim_ms},
                        {"copy_ms", started->copy_ms},
                        {"copied_bytes", started->copied_bytes},
                        {"init_to_trampoline_ms", init_to_tramp},
                        {"trampoline_to_ready_ms", tramp_to_ready},
                        {"init_to_ready_ms", init_to_ready},
                        {"entry", long_mode ? "direct" : "decompress"},
                        {"kernel_base", kernel_base},
                        {"kaslr_slots", kaslr_slots},
                        {"tsc_khz", tsc_khz}});
      if (started->root_image_bytes != 0) {
        report.back()["root_ms"] = started->root_ms;
        report.back()["root_image_bytes"] = started->root_image_bytes;
        report.back()["root_overlay_bytes"] =
            RootOverlayBytes(node->name, DefaultRootServerPaths());
        report.back()["root_on_demand"] = started->root_on_demand;
      }
      continue;
    }
    auto row = [](const char* what, double ms, const std::string& note = "") {
      std::cout << "    " << std::left << std::setw(26) << what << std::right << std::setw(10)
                << std::fixed << std::setprecision(1) << ms << " ms" << note << "\n";
    };
    std::cout << "  node " << node->name << " is ready (id " << started->id << ", core "
              << node->cpus[0] << ", APIC ID seen by the trampoline " << page.trampoline_apic
              << ")\n  timeline:\n";
    row("host: read images", read_ms);
    row("host: build artifacts", build_ms);
    row("host: claim resources", started->claim_ms);
    row("host: copy segments", started->copy_ms, "  (" + Bytes(started->copied_bytes) + ")");
    if (started->root_image_bytes != 0)
      row("host: root server", started->root_ms,
          "  (qemu-nbd, " + Bytes(started->root_image_bytes) + " image" +
              (started->root_on_demand
                   ? ", " + Bytes(RootOverlayBytes(node->name, DefaultRootServerPaths())) +
                         " fetched before ready)"
                   : ")"));
    row("INIT -> trampoline", init_to_tramp);
    row("trampoline -> ready", tramp_to_ready, "  (kernel boot and node userspace)");
    row("INIT -> ready", init_to_ready);
    row("host side total", read_ms + build_ms + started->claim_ms + started->copy_ms);
  }
  if (json) std::cout << report.dump(2) << "\n";
  return 0;
}

struct StopArgs {
  std::string node;
  std::string device = "/dev/mint";
};

Result<int> RunStop(const StopArgs& args) {
  auto host = MINT_TRY(HostDevice::Open(args.device));
  auto start = std::chrono::steady_clock::now();
  if (!MINT_TRY(StopNodeNamed(*host, args.node)))
    return Fail("no node named '", args.node, "' is running (see mint status)");
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "mint: node " << args.node << " stopped in " << static_cast<int>(ms)
            << " ms; its cores are free, its memory zeroed and free\n";
  return 0;
}

}  // namespace

void AddBoot(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<BootArgs>();
  CLI::App* cmd = app.add_subcommand(
      "boot", "boot the plan's nodes (all, or those named) with each one's timeline");
  cmd->footer(
      "Boots the plan's nodes (every node, or only those named), one after the other: reads\n"
      "each node's kernel and initrd, builds its boot_params, e820 map, command line and ACPI\n"
      "tables, hands them to the host module (/dev/mint), which checks that the node's cores\n"
      "and memory are free for it, copies them and wakes the node's boot core. Then waits until\n"
      "the node's agent reports ready and prints the node's timeline.\n"
      "With --image, instead of booting, resumes a memory image (mint snapshot): FILE, or NAME\n"
      "in the plan's store; into NODE (default: the node it was taken of), which must have the\n"
      "image's memory, low slice, cores and devices (fenced off the host's drivers before it\n"
      "resumes, as for a boot).");
  cmd->add_option("PLAN", args->plan, "the plan file")->required();
  cmd->add_option("NODE", args->nodes, "the nodes to boot (default: every node of the plan)");
  cmd->add_option("--timeout", args->timeout_s, "seconds to wait for each node to be ready")
      ->capture_default_str()
      ->check(PositiveSeconds());
  cmd->add_flag("--dry-run", args->dry_run,
                "build and show everything, load nothing (no module needed)");
  cmd->add_flag("--json", args->json, "print the timelines (or the dry run) as JSON");
  cmd->add_option("--device", args->device, "the host module's device")->capture_default_str();
  cmd->add_option("--entry", args->entry,
                  "decompress: through the bzImage's 32-bit entry and its decompressor; direct: "
                  "unpack the kernel on the host (or take it from the store) and enter its "
                  "64-bit startup_64 (x86_64 only); auto: direct when the plan's store holds the "
                  "unpacked kernel (mint store add puts it there), else decompress")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "decompress", "direct"}));
  cmd->add_option("--image", args->image,
                  "resume a memory image instead of booting: FILE, or NAME in the plan's store");
  cmd->callback([args, &chosen] { chosen = [args] { return RunBoot(*args); }; });
}

void AddStop(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<StopArgs>();
  CLI::App* cmd = app.add_subcommand("stop", "park a node's cores and give its resources back");
  cmd->footer(
      "Parks the node's cores with INIT, zeroes its memory (no later node sees what it left)\n"
      "and gives its cores, memory and devices back to the host.");
  cmd->add_option("NODE", args->node, "the node's name")->required();
  cmd->add_option("--device", args->device, "the host module's device")->capture_default_str();
  cmd->callback([args, &chosen] { chosen = [args] { return RunStop(*args); }; });
}

}  // namespace mint::cli
