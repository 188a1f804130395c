// mint boot / check / status / stop.
#include <chrono>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "artifacts.h"
#include "boot_node.h"
#include "bzimage.h"
#include "commands.h"
#include "devices.h"
#include "direct_kernel.h"
#include "files.h"
#include "host_device.h"
#include "image.h"
#include "image_store.h"
#include "images.h"
#include "node_access.h"

namespace mint::cli {
namespace {

constexpr const char* kBootUsage =
    "usage: mint boot PLAN [NODE...] [--timeout S] [--dry-run] [--json] [--device PATH]\n"
    "                      [--entry auto|decompress|direct]\n"
    "       mint boot PLAN [NODE] --image NAME|FILE [--timeout S] [--json] [--device PATH]\n"
    "\n"
    "Boots the plan's nodes (every node, or only those named), one after the other: reads\n"
    "each node's kernel and initrd, builds its boot_params, e820 map, command line and ACPI\n"
    "tables, hands them to the host module (/dev/mint), which checks that the node's cores\n"
    "and memory are free for it, copies them and wakes the node's boot core. Then waits until\n"
    "the node's agent reports ready and prints the node's timeline.\n"
    "  --timeout S   seconds to wait for each node to be ready (default 120)\n"
    "  --dry-run     build and show everything, load nothing (no module needed)\n"
    "  --json        print the timelines (or the dry run) as JSON\n"
    "  --device P    the host module's device (default /dev/mint)\n"
    "  --entry E     decompress: through the bzImage's 32-bit entry and its decompressor;\n"
    "                direct: unpack the kernel on the host (or take it from the store) and\n"
    "                enter its 64-bit startup_64 directly (x86_64 only); auto (default):\n"
    "                direct when the plan's store holds the unpacked kernel (mint store\n"
    "                add puts it there), else decompress\n"
    "  --image SRC   instead of booting, resume a memory image (mint snapshot): FILE, or NAME\n"
    "                in the plan's store; into NODE (default: the node it was taken of), which\n"
    "                must have the image's memory, low slice, cores and devices (fenced\n"
    "                off the host's drivers before it resumes, as for a boot)\n";

constexpr const char* kStopUsage =
    "usage: mint stop NODE [--device PATH]\n"
    "\nParks the node's cores with INIT, zeroes its memory (no later node sees what it left)\n"
    "and gives its cores and memory back to the host.\n";

// The host's TSC rate when no module is there to say it (dry runs): /proc/cpuinfo's MHz.
uint64_t GuessTscKhz() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("cpu MHz")) {
      auto colon = line.find(':');
      if (colon != std::string::npos)
        return static_cast<uint64_t>(std::stod(line.substr(colon + 1)) * 1000);
    }
  }
  return 1000000;
}

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

nlohmann::json ArtifactsJson(const NodePlan& node, const LoadedImages& images,
                             const NodeArtifacts& art) {
  nlohmann::json e820 = nlohmann::json::array();
  for (const E820Entry& e : art.layout.e820)
    e820.push_back({{"start", e.addr}, {"end", e.addr + e.size}, {"type", E820Name(e.type)}});
  nlohmann::json segments = nlohmann::json::array();
  for (const Segment& s : art.segments)
    segments.push_back({{"what", SegmentName(s)}, {"phys", s.phys}, {"size", s.bytes.size()}});
  return {{"node", node.name},
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
int BootImage(const Plan& plan, const std::string& plan_path, const std::string& node,
              const std::string& source, const std::string& device, int timeout_s, bool json) {
  auto host = HostDevice::Open(device);
  if (!host) return Error(host.error().message);
  auto store = OpenPlanStore(plan.host, device);
  if (!store) return Error(store.error().message);
  auto booted = BootFromImage(**host, plan, node, source, store->get(), timeout_s);
  if (!booted) return Error(booted.error().message);
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

}  // namespace

int Boot(const Args& in) {
  Args args = in;
  if (TakeFlag(args, "--help") || TakeFlag(args, "-h")) return Usage(kBootUsage, 0);
  bool json = TakeFlag(args, "--json");
  bool dry_run = TakeFlag(args, "--dry-run");
  std::string timeout_text = "120", device = "/dev/mint", entry_text = "auto";
  bool ok = true;
  TakeValue(args, "--timeout", timeout_text, ok);
  TakeValue(args, "--device", device, ok);
  TakeValue(args, "--entry", entry_text, ok);
  std::string image_source;
  TakeValue(args, "--image", image_source, ok);
  if (!ok) return 2;
  auto entry_mode = ParseEntryMode(entry_text);
  if (!entry_mode) return Error(entry_mode.error().message);
  int timeout_s = 0;
  try {
    timeout_s = std::stoi(timeout_text);
  } catch (...) {
    return Error("--timeout '" + timeout_text + "' is not a number of seconds");
  }
  if (timeout_s <= 0) return Error("--timeout '" + timeout_text + "' must be positive");
  if (args.empty()) return Usage(kBootUsage, 2);
  for (const std::string& arg : args) {
    if (arg.starts_with("-")) return Error("unknown option '" + arg + "' (see mint boot --help)");
  }
  auto plan = LoadPlanFile(args[0]);
  if (!plan) return Error(plan.error().message);
  std::vector<const NodePlan*> nodes;
  for (size_t i = 1; i < args.size(); ++i) {
    const NodePlan* node = plan->FindNode(args[i]);
    if (node == nullptr) return Error(args[0] + " has no node named '" + args[i] + "'");
    nodes.push_back(node);
  }
  if (!image_source.empty()) {
    if (nodes.size() > 1) return Error("--image resumes one node; name at most one");
    if (dry_run) return Error("--image and --dry-run do not go together");
    return BootImage(*plan, args[0], nodes.empty() ? "" : nodes[0]->name, image_source, device,
                     timeout_s, json);
  }
  if (nodes.empty())
    for (const NodePlan& node : plan->nodes) nodes.push_back(&node);
  if (nodes.empty()) return Error(args[0] + " has no nodes to boot");

  std::unique_ptr<HostDevice> host;
  std::unique_ptr<StoreSession> store;
  uint64_t tsc_khz = 0;
  if (!dry_run) {
    auto opened = HostDevice::Open(device);
    if (!opened) return Error(opened.error().message);
    host = std::move(*opened);
    auto info = host->Info();
    if (!info) return Error(info.error().message);
    tsc_khz = info->tsc_khz;
    auto tramp = EnsureTrampoline(*host, plan->host);
    if (!tramp) return Error(tramp.error().message);
    auto opened_store = OpenPlanStore(plan->host, device);  // none when the plan has no store
    if (!opened_store) return Error(opened_store.error().message);
    store = std::move(*opened_store);
  } else {
    tsc_khz = GuessTscKhz();
  }

  nlohmann::json report = nlohmann::json::array();
  for (const NodePlan* node : nodes) {
    auto images = ReadImages(*node, store.get(), /*defer_placement=*/!dry_run);
    if (!images) return Error(images.error().message);
    std::optional<DirectKernelBytes> unpacked;
    DirectKernel direct;
    if (UseDirectEntry(
            *entry_mode, images->image,
            StoreHasUnpackedKernel(store.get(), node->kernel, images->kernel, images->image))) {
      auto loaded = LoadDirectKernel(node->kernel, images->kernel, images->image, store.get());
      if (!loaded) return Error("node " + node->name + ": " + loaded.error().message);
      unpacked = std::move(*loaded);
      direct = {unpacked->elf, &unpacked->parsed};
      images->read_ms += unpacked->ms;
    }
    // Devices of its own: fenced off the host's drivers before the node is built and woken.
    auto devices = dry_run ? ResolveNodeDevices(*node) : FenceNodeDevices(*node);
    if (!devices) return Error("node " + node->name + ": " + devices.error().message);
    auto build_start = std::chrono::steady_clock::now();
    NodeInputs inputs{node,    images->kernel, &images->image, images->initrd,
                      tsc_khz, KaslrSeed(),    &devices->pci,  &devices->mmio};
    auto art = BuildNodeArtifacts(inputs, unpacked ? &direct : nullptr);
    if (!art) {
      if (!dry_run) GiveBackNodeDevices(node->name);
      return Error(art.error().message);
    }
    double build_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - build_start)
            .count();
    if (dry_run) {
      if (json)
        report.push_back(ArtifactsJson(*node, *images, *art));
      else
        PrintArtifacts(*node, *images, *art);
      continue;
    }
    if (!json)
      std::cout << "mint: booting node " << node->name << " (" << images->image.arch << ", "
                << Bytes(images->kernel.size()) << " kernel, " << Bytes(images->initrd.size())
                << " initrd) on core " << node->cpus[0]
                << (art->long_mode ? ", direct entry" : ", through the decompressor") << "\n"
                << std::flush;
    auto started = StartNode(*host, *node, *art);
    if (!started) {
      GiveBackNodeDevices(node->name);
      return Error(started.error().message);
    }
    PlaceInStore(store.get(), *images);  // while the node boots
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
                << elapsed << " s\n"
                << std::flush;
    };
    auto ready = WaitReady(*host, started->id, std::chrono::seconds(timeout_s), progress);
    if (!ready)
      return Error(ready.error().message + " (the node keeps its resources; 'mint stop " +
                   node->name + "' gives them back)");
    RememberPlan(args[0], node->name);  // for mint restart
    const mint_status_page& page = ready->page;
    double init_to_tramp = TscMs(started->stamps.tsc_before_init, page.tsc_trampoline, tsc_khz);
    double tramp_to_ready = TscMs(page.tsc_trampoline, page.tsc_ready, tsc_khz);
    double init_to_ready = TscMs(started->stamps.tsc_before_init, page.tsc_ready, tsc_khz);
    if (json) {
      report.push_back({{"node", node->name},
                        {"id", started->id},
                        {"read_ms", images->read_ms},
                        {"build_ms", build_ms},
                        {"claim_ms", started->claim_ms},
                        {"copy_ms", started->copy_ms},
                        {"copied_bytes", started->copied_bytes},
                        {"init_to_trampoline_ms", init_to_tramp},
                        {"trampoline_to_ready_ms", tramp_to_ready},
                        {"init_to_ready_ms", init_to_ready},
                        {"entry", art->long_mode ? "direct" : "decompress"},
                        {"kernel_base", art->kernel_base},
                        {"kaslr_slots", art->kaslr_slots},
                        {"tsc_khz", tsc_khz}});
      continue;
    }
    auto row = [](const char* what, double ms, const std::string& note = "") {
      std::cout << "    " << std::left << std::setw(26) << what << std::right << std::setw(10)
                << std::fixed << std::setprecision(1) << ms << " ms" << note << "\n";
    };
    std::cout << "  node " << node->name << " is ready (id " << started->id << ", core "
              << node->cpus[0] << ", APIC ID seen by the trampoline " << page.trampoline_apic
              << ")\n  timeline:\n";
    row("host: read images", images->read_ms);
    row("host: build artifacts", build_ms);
    row("host: claim resources", started->claim_ms);
    row("host: copy segments", started->copy_ms, "  (" + Bytes(started->copied_bytes) + ")");
    row("INIT -> trampoline", init_to_tramp);
    row("trampoline -> ready", tramp_to_ready, "  (kernel boot and node userspace)");
    row("INIT -> ready", init_to_ready);
    row("host side total", images->read_ms + build_ms + started->claim_ms + started->copy_ms);
  }
  if (json) std::cout << report.dump(2) << "\n";
  return 0;
}

int Stop(const Args& in) {
  Args args = in;
  if (TakeFlag(args, "--help") || TakeFlag(args, "-h")) return Usage(kStopUsage, 0);
  std::string device = "/dev/mint";
  bool ok = true;
  TakeValue(args, "--device", device, ok);
  if (!ok) return 2;
  if (args.size() != 1) return Usage(kStopUsage, 2);
  auto host = HostDevice::Open(device);
  if (!host) return Error(host.error().message);
  auto start = std::chrono::steady_clock::now();
  auto stopped = StopNodeNamed(**host, args[0]);
  if (!stopped) return Error(stopped.error().message);
  if (!*stopped) return Error("no node named '" + args[0] + "' is running (see mint status)");
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "mint: node " << args[0] << " stopped in " << static_cast<int>(ms)
            << " ms; its cores are free, its memory zeroed and free\n";
  return 0;
}

Result<bool> StopNodeNamed(HostDevice& host, const std::string& name) {
  for (uint32_t id = 0; id < MINT_MAX_NODES; ++id) {
    auto status = host.Status(id);
    if (!status) return status.take_error();
    if (status->state == MINT_STATE_FREE) continue;
    if (std::string(status->name, strnlen(status->name, sizeof(status->name))) != name) continue;
    MINT_TRY_VOID(host.Destroy(id));
    GiveBackNodeDevices(name);  // the node's cores are parked: its devices may go back
    return true;
  }
  return false;
}

}  // namespace mint::cli
