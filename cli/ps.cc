// mint ps (alias: mint status): every node the host module owns, with its state as the node
// itself reports it (node page), its heartbeat and why it stopped.
#include "ps.h"

#include <x86intrin.h>

#include <cstring>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "app.h"
#include "format.h"
#include "lifecycle.h"
#include "live_inventory.h"
#include "node_access.h"
#include "node_text.h"
#include "root_server.h"

namespace mint::cli {
namespace {

struct PsArgs {
  bool json = false;
  double hung_after = kHungAfterSeconds;
  std::string device = "/dev/mint";
};

std::string Seconds(double seconds) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(seconds < 10 ? 1 : 0) << seconds;
  return out.str();
}

// A fixed-size, NUL-padded name from the module, printable.
std::string FixedText(const char* text, size_t size) {
  return PrintableNodeText({text, strnlen(text, size)});
}

// Seconds from TSC `from` to the clock's now, 0 when unknown (as SecondsSinceTsc).
double SecondsSince(uint64_t from, const PsClock& clock) {
  if (clock.tsc_khz == 0 || from == 0 || clock.now_tsc < from) return 0;
  return static_cast<double>(clock.now_tsc - from) / (static_cast<double>(clock.tsc_khz) * 1000.0);
}

// One line of the table or one JSON entry. Every string in it is printable: the name from
// the module, the reason from the node page (written by the node, untrusted).
struct PsRow {
  uint32_t id = 0;
  std::string name;
  std::string state;
  std::string cores;
  std::vector<uint32_t> apic_ids;
  uint64_t memory_bytes = 0;
  nlohmann::json ranges = nlohmann::json::array();
  bool parked = false;
  std::string reason;
  std::string reason_code;
  double beat_age = -1;
  double asleep = -1;
  double up = 0;
};

PsRow MakeRow(const PsNode& node, const PsClock& clock, double hung_after_s) {
  const mint_node_status& status = node.status;
  const std::optional<mint_node_page>& page = node.page;
  PsRow row;
  row.id = status.id;
  row.name = FixedText(status.name, sizeof(status.name));
  for (uint32_t i = 0; i < status.n_cpus && i < MINT_MAX_CPUS; ++i) {
    row.cores += (row.cores.empty() ? "" : ",") + std::to_string(status.apic_ids[i]);
    row.apic_ids.push_back(status.apic_ids[i]);
  }
  for (uint32_t i = 0; i < status.n_ranges && i < MINT_MAX_RANGES; ++i) {
    PhysRange r{status.ranges[i].start, status.ranges[i].start + status.ranges[i].size};
    row.ranges.push_back(FormatRange(r));
    if (i > 0) row.memory_bytes += status.ranges[i].size;
  }

  NodeView view;
  view.module_state = status.state;
  if (page) {
    view.has_node_page = true;
    view.condition = page->condition;
    view.reason = page->reason;
    row.beat_age = SecondsSince(page->tsc_heartbeat, clock);
    view.heartbeat_age_s = row.beat_age;
  }
  row.state = NodeStateName(view, hung_after_s);
  row.parked = page && page->condition == MINT_NODE_PARKED;
  if (row.parked) {
    row.reason = ReasonText(*page);
    row.reason_code = ParkReasonName(page->reason);
    if (row.reason.empty()) row.reason = row.reason_code;
  }
  // Its agent gave up before ready (`mint-agent fail`, e.g. its root did not mount): its words.
  if ((status.state == MINT_STATE_STARTED) && status.page.magic == MINT_STATUS_MAGIC &&
      status.page.phase != MINT_PHASE_READY && status.page.message[0] != '\0')
    row.reason = "failed: " + FixedText(status.page.message, sizeof(status.page.message));
  if (!row.parked && !node.root_problem.empty()) row.reason = node.root_problem;
  if (status.state == MINT_STATE_SUSPENDED) {
    row.asleep = SecondsSince(status.tsc_suspended, clock);
    row.reason = "asleep " + Seconds(row.asleep) + " s (mint resume wakes it)";
  }
  if (status.state == MINT_STATE_STOPPED && status.sleep_type == MINT_SLEEP_S5)
    row.reason = "power-off (ACPI S5)";
  if (status.tsc_before_init != 0) {
    row.up = SecondsSince(status.tsc_before_init, clock);
    if (row.parked && page->tsc_parked > status.tsc_before_init)
      row.up = TscMs(status.tsc_before_init, page->tsc_parked, clock.tsc_khz) / 1000.0;
  }
  return row;
}

Result<int> RunPs(const PsArgs& args) {
  auto host = MINT_TRY(HostDevice::Open(args.device));
  auto info = MINT_TRY(host->Info());
  std::vector<PsNode> nodes;
  for (uint32_t id = 0; id < MINT_MAX_NODES; ++id) {
    PsNode node;
    node.status = MINT_TRY(host->Status(id));
    if (node.status.state == MINT_STATE_FREE) continue;
    if (node.status.state == MINT_STATE_STARTED || node.status.state == MINT_STATE_READY)
      node.page = ReadNodePage(*host, id);
    std::string name(node.status.name, strnlen(node.status.name, sizeof(node.status.name)));
    if (name.size() <= kMaxLinkedNodeName)
      node.link = ReadLinkStatus("/sys", LinkInterfaceName(name));
    if (std::optional<int> gone = RootServerGone(name, DefaultRootServerPaths()))
      node.root_problem = "its root server (qemu-nbd, pid " + std::to_string(*gone) +
                          ") is gone: the node's root file system no longer answers";
    nodes.push_back(node);
  }
  std::vector<mint_dlink_status> links;
  for (uint32_t index = 0; index < MINT_MAX_NODES && !nodes.empty(); ++index) {
    auto link = MINT_TRY(host->DirectLinkStatus(index));
    if (link) links.push_back(*link);
  }
  AddDirectLinks(nodes, links);
  PsClock clock{info.tsc_khz, __rdtsc()};
  if (args.json)
    std::cout << PsJson(nodes, clock, args.hung_after).dump(2) << "\n";
  else
    std::cout << PsTable(nodes, clock, args.hung_after);
  return 0;
}

}  // namespace

void AddDirectLinks(std::vector<PsNode>& nodes, const std::vector<mint_dlink_status>& links) {
  for (const mint_dlink_status& link : links) {
    const mint_dlink_side_status* sides = link.side;
    bool up = sides[0].running && sides[1].running && sides[0].epoch != 0 && sides[1].epoch != 0 &&
              sides[0].ack == sides[1].epoch && sides[1].ack == sides[0].epoch;
    for (int side = 0; side < 2; ++side) {
      std::string owner = FixedText(sides[side].node, sizeof(sides[side].node));
      if (owner.empty()) continue;
      for (PsNode& node : nodes) {
        if (FixedText(node.status.name, sizeof(node.status.name)) != owner) continue;
        node.direct_links.push_back(PsDirectLink{
            .name = FixedText(link.name, sizeof(link.name)),
            .peer = FixedText(sides[1 - side].node, sizeof(sides[1 - side].node)),
            .up = up,
            .tx_bytes = sides[side].tx_bytes,
            .rx_bytes = sides[side].rx_bytes,
        });
      }
    }
  }
}

std::string PsTable(const std::vector<PsNode>& nodes, const PsClock& clock, double hung_after_s) {
  std::ostringstream out;
  out << std::left << std::setw(4) << "ID" << std::setw(12) << "NAME" << std::setw(10) << "STATE"
      << std::setw(7) << "CORES" << std::setw(11) << "MEMORY" << std::setw(9) << "UP"
      << std::setw(11) << "BEAT"
      << "REASON\n";
  for (const PsNode& node : nodes) {
    PsRow row = MakeRow(node, clock, hung_after_s);
    bool beating = node.page && !row.parked;
    out << std::left << std::setw(4) << row.id << std::setw(12) << row.name << std::setw(10)
        << row.state << std::setw(7) << row.cores << std::setw(11) << Bytes(row.memory_bytes)
        << std::setw(9) << (row.up > 0 ? Seconds(row.up) + " s" : "-") << std::setw(11)
        << (beating ? Seconds(row.beat_age) + " s ago" : "-") << row.reason << "\n";
    if (node.link) {
      const LinkStatus& link = *node.link;
      out << "    link " << LinkInterfaceName(row.name) << " " << link.state << ", rx "
          << Bytes(link.rx_bytes) << " (" << link.rx_packets << " packets), tx "
          << Bytes(link.tx_bytes) << " (" << link.tx_packets << " packets)\n";
    }
    for (const PsDirectLink& link : node.direct_links) {
      out << "    direct link " << link.name << " to "
          << (link.peer.empty() ? "(no node)" : link.peer) << " " << (link.up ? "up" : "down")
          << ", sent " << Bytes(link.tx_bytes) << ", received " << Bytes(link.rx_bytes) << "\n";
    }
  }
  return out.str();
}

nlohmann::json PsJson(const std::vector<PsNode>& nodes, const PsClock& clock, double hung_after_s) {
  nlohmann::json out = nlohmann::json::array();
  for (const PsNode& node : nodes) {
    PsRow row = MakeRow(node, clock, hung_after_s);
    nlohmann::json entry = {{"id", row.id},
                            {"name", row.name},
                            {"state", row.state},
                            {"apic_ids", row.apic_ids},
                            {"memory_bytes", row.memory_bytes},
                            {"ranges", row.ranges},
                            {"uptime_s", row.up},
                            {"heartbeat", node.status.page.heartbeat},
                            {"reason", row.reason},
                            {"reason_code", row.reason_code},
                            {"suspends", node.status.suspends}};
    if (row.asleep >= 0) entry["asleep_s"] = row.asleep;
    if (node.page) {
      entry["kernel_heartbeat"] = node.page->heartbeat;
      entry["heartbeat_age_s"] = row.beat_age;
      entry["console_bytes"] = node.page->console_head;
      // The cores its kernel runs on now, as its module reports them (docs/cores.md).
      std::vector<uint32_t> online;
      for (uint32_t apic = 0; apic < 256; ++apic)
        if ((node.page->cores_online[apic / 32] >> (apic % 32)) & 1) online.push_back(apic);
      entry["cores_online"] = online;
    } else {
      entry["kernel_heartbeat"] = nullptr;
      entry["heartbeat_age_s"] = nullptr;
    }
    entry["link"] = nullptr;
    if (node.link)
      entry["link"] = {
          {"ifname", LinkInterfaceName(row.name)}, {"state", node.link->state},
          {"rx_bytes", node.link->rx_bytes},       {"tx_bytes", node.link->tx_bytes},
          {"rx_packets", node.link->rx_packets},   {"tx_packets", node.link->tx_packets}};
    entry["direct_links"] = nlohmann::json::array();
    for (const PsDirectLink& link : node.direct_links)
      entry["direct_links"].push_back({{"name", link.name},
                                       {"peer", link.peer},
                                       {"state", link.up ? "up" : "down"},
                                       {"tx_bytes", link.tx_bytes},
                                       {"rx_bytes", link.rx_bytes}});
    out.push_back(entry);
  }
  return out;
}

void AddPs(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<PsArgs>();
  CLI::App* cmd = app.add_subcommand("ps", "list the nodes and their state");
  cmd->alias("status");
  cmd->footer(
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
      "A node with a network link gets a line for its host device mint-NAME: up or down\n"
      "(carrier and operstate) and its counters (/sys/class/net/mint-NAME/statistics).\n"
      "A node with direct links ([[link]]) gets a line for each: the peer node, up (both sides\n"
      "run and each has reset its rings for the other) or down, and the ring bytes it sent and\n"
      "received, frame headers included, as the two nodes' control pages say.\n"
      "A stopped or crashed node keeps its cores and memory until 'mint stop' or 'mint restart'.\n"
      "Text a node wrote is shown with control characters as \\xNN and invalid UTF-8 as U+FFFD.");
  cmd->add_flag("--json", args->json, "print the nodes as a JSON array");
  cmd->add_option("--hung-after", args->hung_after,
                  "call a node hung when its kernel heartbeat is older than S seconds")
      ->check(PositiveSeconds())
      ->capture_default_str();
  cmd->add_option("--device", args->device, "the host module's device")->capture_default_str();
  cmd->callback([args, &chosen] { chosen = [args] { return RunPs(*args); }; });
}

}  // namespace mint::cli
