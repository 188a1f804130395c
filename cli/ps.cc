// mint ps (alias: mint status): every node the host module owns, with its state as the node
// itself reports it (node page), its heartbeat and why it stopped.
#include <cstring>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "console_ring.h"
#include "files.h"
#include "lifecycle.h"
#include "node_access.h"

namespace mint::cli {
namespace {

constexpr const char* kPsUsage =
    "usage: mint ps [--json] [--hung-after S] [--device PATH]      (also: mint status)\n"
    "\n"
    "Lists the nodes the host module owns:\n"
    "  STATE      loading (claimed, being copied), booting (woken, not ready yet), running,\n"
    "             suspended (in ACPI S3: cores parked, memory kept, until 'mint resume'),\n"
    "             stopped (the node rebooted, powered off or halted: its cores are parked),\n"
    "             crashed (the node panicked: its cores are parked), hung (its kernel\n"
    "             heartbeat stopped for more than S seconds, default 3), dirty (a stop could\n"
    "             not park its cores or zero its memory: it keeps them; 'mint stop' again)\n"
    "  CORES      APIC IDs, MEMORY its memory above 1 MiB, UP seconds since INIT\n"
    "  BEAT       seconds since the node kernel's last heartbeat (mint_node.ko)\n"
    "  REASON     why a stopped or crashed node stopped, in the node's words; how long a\n"
    "             suspended node has slept\n"
    "A stopped or crashed node keeps its cores and memory until 'mint stop' or 'mint restart'.\n";

std::string Seconds(double seconds) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(seconds < 10 ? 1 : 0) << seconds;
  return out.str();
}

}  // namespace

int Ps(const Args& in) {
  Args args = in;
  if (TakeFlag(args, "--help") || TakeFlag(args, "-h")) return Usage(kPsUsage, 0);
  bool json = TakeFlag(args, "--json");
  std::string device = "/dev/mint", hung_text;
  bool ok = true;
  TakeValue(args, "--device", device, ok);
  TakeValue(args, "--hung-after", hung_text, ok);
  if (!ok) return 2;
  if (!args.empty()) return Error("unknown argument '" + args[0] + "' (see mint ps --help)");
  double hung_after = kHungAfterSeconds;
  if (!hung_text.empty()) {
    char* end = nullptr;
    hung_after = std::strtod(hung_text.c_str(), &end);
    if (end == hung_text.c_str() || *end != '\0' || hung_after <= 0)
      return Error("--hung-after '" + hung_text + "' is not a positive number of seconds");
  }
  auto host = HostDevice::Open(device);
  if (!host) return Error(host.error().message);
  auto info = (*host)->Info();
  if (!info) return Error(info.error().message);
  nlohmann::json out = nlohmann::json::array();
  if (!json)
    std::cout << std::left << std::setw(4) << "ID" << std::setw(12) << "NAME" << std::setw(10)
              << "STATE" << std::setw(7) << "CORES" << std::setw(11) << "MEMORY" << std::setw(9)
              << "UP" << std::setw(11) << "BEAT"
              << "REASON\n";
  for (uint32_t id = 0; id < MINT_MAX_NODES; ++id) {
    auto status = (*host)->Status(id);
    if (!status) return Error(status.error().message);
    if (status->state == MINT_STATE_FREE) continue;
    std::string name(status->name, strnlen(status->name, sizeof(status->name)));
    std::string cores;
    std::vector<uint32_t> apic_ids;
    for (uint32_t i = 0; i < status->n_cpus && i < MINT_MAX_CPUS; ++i) {
      cores += (cores.empty() ? "" : ",") + std::to_string(status->apic_ids[i]);
      apic_ids.push_back(status->apic_ids[i]);
    }
    uint64_t memory_bytes = 0;
    nlohmann::json ranges = nlohmann::json::array();
    for (uint32_t i = 0; i < status->n_ranges && i < MINT_MAX_RANGES; ++i) {
      PhysRange r{status->ranges[i].start, status->ranges[i].start + status->ranges[i].size};
      ranges.push_back(FormatRange(r));
      if (i > 0) memory_bytes += status->ranges[i].size;
    }

    NodeView view;
    view.module_state = status->state;
    std::optional<mint_node_page> page;
    if (status->state == MINT_STATE_STARTED || status->state == MINT_STATE_READY)
      page = ReadNodePage(**host, id);
    double beat_age = -1;
    if (page) {
      view.has_node_page = true;
      view.condition = page->condition;
      view.reason = page->reason;
      beat_age = SecondsSinceTsc(page->tsc_heartbeat, info->tsc_khz);
      view.heartbeat_age_s = beat_age;
    }
    // MINT_STATE_DIRTY: a stop that could not park the cores or zero the memory (kmod/host).
    std::string state =
        status->state == MINT_STATE_DIRTY ? "dirty" : NodeStateName(view, hung_after);
    bool parked = page && page->condition == MINT_NODE_PARKED;
    std::string reason = parked ? std::string(page->reason_text) : "";
    if (parked && reason.empty()) reason = ParkReasonName(page->reason);
    double asleep = -1;
    if (status->state == MINT_STATE_SUSPENDED) {
      asleep = SecondsSinceTsc(status->tsc_suspended, info->tsc_khz);
      reason = "asleep " + Seconds(asleep) + " s (mint resume wakes it)";
    }
    if (status->state == MINT_STATE_STOPPED && status->sleep_type == MINT_SLEEP_S5)
      reason = "power-off (ACPI S5)";
    double up = 0;
    if (status->tsc_before_init != 0) {
      up = SecondsSinceTsc(status->tsc_before_init, info->tsc_khz);
      if (parked && page->tsc_parked > status->tsc_before_init)
        up = TscMs(status->tsc_before_init, page->tsc_parked, info->tsc_khz) / 1000.0;
    }
    if (json) {
      nlohmann::json entry = {{"id", id},
                              {"name", name},
                              {"state", state},
                              {"apic_ids", apic_ids},
                              {"memory_bytes", memory_bytes},
                              {"ranges", ranges},
                              {"uptime_s", up},
                              {"heartbeat", status->page.heartbeat},
                              {"reason", reason},
                              {"reason_code", parked ? ParkReasonName(page->reason) : ""},
                              {"suspends", status->suspends}};
      if (asleep >= 0) entry["asleep_s"] = asleep;
      if (page) {
        entry["kernel_heartbeat"] = page->heartbeat;
        entry["heartbeat_age_s"] = beat_age;
        entry["console_bytes"] = page->console_head;
      } else {
        entry["kernel_heartbeat"] = nullptr;
        entry["heartbeat_age_s"] = nullptr;
      }
      out.push_back(entry);
    } else {
      std::cout << std::left << std::setw(4) << id << std::setw(12) << name << std::setw(10)
                << state << std::setw(7) << cores << std::setw(11) << Bytes(memory_bytes)
                << std::setw(9) << (up > 0 ? Seconds(up) + " s" : "-") << std::setw(11)
                << (page && !parked ? Seconds(beat_age) + " s ago" : "-") << reason << "\n";
    }
  }
  if (json) std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace mint::cli
