#include "bench_peers.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "format.h"
#include "initramfs.h"

namespace mint {
namespace {

// What the scripts below print on the host console, each line starting with this tag.
constexpr std::string_view kTag = "mint-peers: ";
// The name the node-image path's memory image has in the node host's store.
constexpr char kImageName[] = "peers-image";
// Console lines quoted in a path's failure, from the end of its machine's consoles.
constexpr size_t kContextLines = 12;
// How a panic starts on the console.
constexpr std::string_view kPanic = "Kernel panic - not syncing";

// What every path shares, worked out once.
struct Setting {
  NodePlan node;
  std::string plan_file;  // the node host's plan: [host] and this one node
  uint32_t vcpus = 0;     // every lab machine's shape: the node host's
  uint64_t machine_memory = 0;
  uint64_t node_memory = 0;  // what the kernel may use on every path
  std::string peer_append;   // the cold and kexec kernels' command line
};

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

LabDeadline DeadlineIn(double seconds) {
  return LabClock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

std::string LogDir(const PeersOptions& options, int round, const std::string& machine) {
  if (options.log_dir.empty()) return "";
  return options.log_dir + "/round" + std::to_string(round + 1) + "-" + machine;
}

// start -> the userspace marker on `console`, and start -> kernel_init placed by the stamps
// (boot_compare.h), for a kernel whose console the lab reads. Lines before `from` are not
// looked at.
struct MarkerTimes {
  std::optional<double> kernel_init_s;
  double user_s = 0;
};
Result<MarkerTimes> TimeToMarker(LabMachine& machine, const std::string& console, double start_s,
                                 size_t from, LabDeadline deadline) {
  LabWait marker = machine.WaitForLine(
      console,
      [](const ConsoleLine& line) {
        return Contains(line.text, kUserspaceMarker) || Contains(line.text, kPanic);
      },
      deadline, from);
  // With panic=0 a panicked kernel waits forever: say so now rather than at the deadline.
  if (marker.Found() && Contains(marker.line.text, kPanic))
    return Fail("the kernel panicked: ", marker.line.text.substr(marker.line.text.find(kPanic)),
                "; last lines:\n", machine.LastLines(kContextLines));
  if (!marker.Found())
    return Fail(marker.kind == LabWait::Kind::kExited ? "QEMU exited" : "timed out",
                " before the userspace marker '", std::string(kUserspaceMarker),
                "' on the console; last lines:\n", machine.LastLines(kContextLines));
  MarkerTimes times;
  times.user_s = marker.line.seconds - start_s;
  LabWait init = machine.WaitForLine(
      console, [](const ConsoleLine& line) { return Contains(line.text, kKernelInitLine); },
      deadline, marker.index + 1);
  if (init.Found()) {
    if (auto at = KernelInitOnReaderClock(marker.line.seconds, marker.line.text, init.line.text))
      times.kernel_init_s = *at - start_s;
  }
  return times;
}

void Record(BootPathResult& path, const MarkerTimes& times, std::optional<double> host_s) {
  path.user_s.push_back(times.user_s);
  if (times.kernel_init_s) path.kernel_init_s.push_back(*times.kernel_init_s);
  if (host_s) path.host_s.push_back(*host_s);
}

Result<void> RunCold(const Setting& s, const PeersOptions& options, int round,
                     BootPathResult& path) {
  LabConfig config{
      .qemu = options.artifacts.qemu,
      .machine = "q35",
      .kernel = s.node.kernel,
      .initrd = s.node.initrd,
      .append = s.peer_append,
      .vcpus = s.vcpus,
      .memory_bytes = s.machine_memory,
      .consoles = {"cold"},
      .extra_args = {},
      .echo = options.echo,
      .work_dir = "",
      .live_log_dir = LogDir(options, round, "cold"),
  };
  auto machine = MINT_TRY(LabMachine::Create(config));
  LabDeadline deadline = DeadlineIn(options.timeout_seconds);
  MINT_TRY_VOID(machine->Start(deadline));
  auto times = TimeToMarker(*machine, "cold", 0, 0, deadline);
  if (times)
    Record(path, *times, std::nullopt);
  else
    path.failures.push_back("round " + std::to_string(round + 1) + ": " + times.error().message);
  machine->Kill();
  return Ok{};
}

// The lab host's command for a kexec reboot into the node's kernel and initramfs (the host's
// copies, named in its plan). `flags` go with the load: "", "-s" or "-i".
std::string KexecScript(const Setting& s, const std::string& flags) {
  std::string load = "/sbin/kexec " + (flags.empty() ? "" : flags + " ") + "-l \"$k\"" +
                     (s.node.initrd.empty() ? "" : " --initrd=\"$i\"") +
                     // Below the memory the new kernel may use (mem=), where it finds them.
                     " --mem-max=" + Hex(s.node_memory - 1) + " --append=\"" + s.peer_append + "\"";
  return "k=$(sed -n 's/^kernel *= *\"\\(.*\\)\"/\\1/p' \"$MINT_PLAN\" | head -n 1)\n"
         "i=$(sed -n 's/^initrd *= *\"\\(.*\\)\"/\\1/p' \"$MINT_PLAN\" | head -n 1)\n"
         "echo \"mint-peers: load\"\n" +
         load + " || { echo \"mint-peers: failed: kexec " + flags +
         " -l exited $?\"; exit 1; }\n"
         "echo \"mint-peers: exec\"\n"
         "/sbin/kexec -e\n"
         "echo \"mint-peers: failed: kexec -e returned $?\"\n"
         "exit 1\n";
}

HostRunOptions HostOptions(const Setting& s, const PeersOptions& options, std::string command,
                           std::string log_dir) {
  HostRunOptions host;
  host.plan_path = s.plan_file;
  host.command = std::move(command);
  host.vcpus = s.vcpus;
  host.memory_bytes = s.machine_memory;
  host.timeout_seconds = options.timeout_seconds;
  host.echo = options.echo;
  host.log_dir = std::move(log_dir);
  host.artifacts = options.artifacts;
  return host;
}

// The first line of `console` from `from` on whose text contains `part`, or null.
const ConsoleLine* FindLine(const std::vector<ConsoleLine>& lines, std::string_view console,
                            std::string_view part, size_t from = 0) {
  for (size_t i = from; i < lines.size(); ++i)
    if (lines[i].console == console && Contains(lines[i].text, part)) return &lines[i];
  return nullptr;
}

Result<void> RunKexec(const Setting& s, const PeersOptions& options, const std::string& flags,
                      int round, BootPathResult& path) {
  HostRunOptions host =
      HostOptions(s, options, KexecScript(s, flags), LogDir(options, round, path.name));
  host.with_module = false;
  host.with_mint = false;
  host.extra_tree = options.kexec_root;
  auto run = MINT_TRY(PrepareHostRun(host));
  auto machine = MINT_TRY(LabMachine::Create(run->config));
  LabDeadline deadline = DeadlineIn(options.timeout_seconds);
  MINT_TRY_VOID(machine->Start(deadline));
  std::string failed = "round " + std::to_string(round + 1) + ": ";
  // The exec line, or the end of the command when kexec failed.
  LabWait exec = machine->WaitForLine(
      "host",
      [&](const ConsoleLine& line) {
        if (Contains(line.text, std::string(kTag) + "exec")) return true;
        auto marker = ParseHostMarker(line.text, run->marker);
        return marker && marker->kind != HostMarkerLine::Kind::kCommandStart;
      },
      deadline);
  if (!exec.Found() || !Contains(exec.line.text, std::string(kTag) + "exec")) {
    const ConsoleLine* why = FindLine(machine->Lines(), "host", std::string(kTag) + "failed: ");
    path.failures.push_back(failed +
                            (why ? why->text.substr(why->text.find(kTag) + kTag.size())
                                 : "the host never reached kexec -e") +
                            "; last lines:\n" + machine->LastLines(kContextLines));
    return Ok{};
  }
  const ConsoleLine* load = FindLine(machine->Lines(), "host", std::string(kTag) + "load");
  auto times = TimeToMarker(*machine, "host", exec.line.seconds, exec.index + 1, deadline);
  if (times)
    Record(path, *times,
           load ? std::optional<double>(exec.line.seconds - load->seconds) : std::nullopt);
  else
    path.failures.push_back(failed + times.error().message);
  machine->Kill();
  return Ok{};
}

// The node host's command: each path once in `order`, its node stopped after it. Before each
// (untimed), what it boots from is made resident in the plan's store: the kernel and its
// unpacked form and the initrd (mint store add), or for the image path a memory image of the node,
// booted, suspended and saved just before, since the store is small enough that one evicts the
// other.
std::string NodeScript(const Setting& s, const std::vector<std::string>& order) {
  const std::string& n = s.node.name;
  std::string script =
      "k=$(sed -n 's/^kernel *= *\"\\(.*\\)\"/\\1/p' \"$MINT_PLAN\" | head -n 1)\n"
      "i=$(sed -n 's/^initrd *= *\"\\(.*\\)\"/\\1/p' \"$MINT_PLAN\" | head -n 1)\n"
      "fail() { echo \"mint-peers: failed: $*\"; exit 1; }\n";
  for (const std::string& path : order) {
    if (path == "node-image")
      script += "mint boot \"$MINT_PLAN\" " + n +
                " --entry decompress > /dev/null || fail \"boot for the image\"\n"
                "mint suspend " +
                n + " > /dev/null || fail \"mint suspend " + n + "\"\n" + "mint snapshot " + n +
                " --plan \"$MINT_PLAN\" --name " + kImageName +
                " > /dev/null || fail \"mint snapshot " + n + "\"\n" + "mint stop " + n +
                " > /dev/null || fail \"mint stop " + n + "\"\n";
    else
      script += "mint store add \"$k\" $i > /dev/null || fail \"mint store add $k $i\"\n";
    // The initcalls path boots from a copy of the plan whose node has initcall_debug.
    std::string plan = "\"$MINT_PLAN\"";
    if (path == kInitcallsPath) {
      plan = "/tmp/peers-initcalls.toml";
      script += "sed 's/^cmdline = \"\\(.*\\)\"/cmdline = \"\\1 " +
                std::string(kInitcallDebugArgs) + "\"/' \"$MINT_PLAN\" > " + plan +
                " || fail \"the initcall_debug plan\"\n";
    }
    std::string how = path == "node-image" ? std::string("--image ") + kImageName
                      : path == "node-direct" || path == kInitcallsPath ? "--entry direct"
                                                                        : "--entry decompress";
    script += "echo \"mint-peers: path " + path + "\"\n" + "mint boot " + plan + " " + n + " " +
              how + " --json > /tmp/peers.json || fail \"mint boot " + how + "\"\n" +
              "echo \"mint-peers: json $(tr -d '\\n' < /tmp/peers.json)\"\n" + "mint stop " + n +
              " > /dev/null || fail \"mint stop " + n + "\"\n";
  }
  return script;
}

Result<void> RunNodeHost(const Setting& s, const PeersOptions& options,
                         const std::vector<std::string>& order, int round,
                         std::map<std::string, BootPathResult*>& paths) {
  HostRunOptions host =
      HostOptions(s, options, NodeScript(s, order), LogDir(options, round, "node"));
  auto run = MINT_TRY(PrepareHostRun(host));
  auto machine = MINT_TRY(LabMachine::Create(run->config));
  LabDeadline deadline = DeadlineIn(options.timeout_seconds);
  MINT_TRY_VOID(machine->Start(deadline));
  LabWait end = machine->WaitForLine(
      "host",
      [&](const ConsoleLine& line) {
        auto marker = ParseHostMarker(line.text, run->marker);
        return marker && marker->kind != HostMarkerLine::Kind::kCommandStart;
      },
      deadline);
  machine->Kill();
  std::string round_text = "round " + std::to_string(round + 1) + ": ";
  std::vector<NodePathRun> runs = ReadNodePathRuns(machine->Lines(), s.node.name);
  for (const NodePathRun& r : runs) {
    auto it = paths.find(r.path);
    if (it == paths.end()) continue;
    BootPathResult& path = *it->second;
    if (!r.user_s) {
      path.failures.push_back(round_text +
                              (r.failure.empty() ? "no userspace time was read" : r.failure));
      continue;
    }
    path.user_s.push_back(*r.user_s);
    if (r.kernel_init_s) path.kernel_init_s.push_back(*r.kernel_init_s);
    if (r.host_s) path.host_s.push_back(*r.host_s);
    if (r.clock_s) path.clock_s.push_back(*r.clock_s);
    if (std::vector<Initcall> calls = ReadInitcalls(r.node_lines); !calls.empty())
      path.initcalls = std::move(calls);
  }
  for (const std::string& name : order) {
    bool ran =
        std::any_of(runs.begin(), runs.end(), [&](const NodePathRun& r) { return r.path == name; });
    if (ran) continue;
    const ConsoleLine* why = FindLine(machine->Lines(), "host", std::string(kTag) + "failed: ");
    std::string what = !end.Found() ? "the node host did not finish in time"
                       : why        ? why->text.substr(why->text.find(kTag) + kTag.size())
                                    : "the node host's command ended before this path";
    paths[name]->failures.push_back(round_text + what + "; last lines:\n" +
                                    machine->LastLines(kContextLines));
  }
  return Ok{};
}

}  // namespace

std::vector<NodePathRun> ReadNodePathRuns(const std::vector<ConsoleLine>& lines,
                                          const std::string& node) {
  std::vector<NodePathRun> runs;
  const std::string path_tag = std::string(kTag) + "path ";
  const std::string json_tag = std::string(kTag) + "json ";
  const std::string failed_tag = std::string(kTag) + "failed: ";
  const std::string started = "mint: node " + node + " started on APIC ID";
  std::optional<ConsoleLine> marker;
  // The node's lines of the current run, for its clock's start.
  std::vector<std::pair<double, std::string>> stamped;
  auto finish = [&](NodePathRun* run) {
    if (run == nullptr || !run->start_s) return;
    if (auto zero = KernelClockZero(stamped)) run->clock_s = *zero - *run->start_s;
    stamped.clear();
  };
  for (const ConsoleLine& line : lines) {
    NodePathRun* run = runs.empty() ? nullptr : &runs.back();
    if (line.console == "host") {
      if (size_t path_at = line.text.find(path_tag); path_at != std::string::npos) {
        finish(run);
        stamped.clear();
        runs.emplace_back();
        runs.back().path = line.text.substr(path_at + path_tag.size());
        marker.reset();
      } else if (run == nullptr) {
        continue;
      } else if (!run->start_s && Contains(line.text, started)) {
        run->start_s = line.seconds;
      } else if (size_t failed_at = line.text.find(failed_tag); failed_at != std::string::npos) {
        run->failure = line.text.substr(failed_at + failed_tag.size());
      } else if (size_t json_at = line.text.find(json_tag); json_at != std::string::npos) {
        auto json =
            nlohmann::json::parse(line.text.substr(json_at + json_tag.size()), nullptr, false);
        if (json.is_array() && !json.empty()) json = json[0];  // mint boot: one per node
        if (!json.is_object()) {
          run->failure = "mint's JSON line could not be read: " + line.text;
          continue;
        }
        if (json.contains("sipi_to_user_ms")) {  // an image: the host's TSC timed it
          run->user_s = json.value("sipi_to_user_ms", 0.0) / 1000;
          run->host_s = json.value("host_ms", 0.0) / 1000;
        } else {
          run->host_s = (json.value("read_ms", 0.0) + json.value("build_ms", 0.0) +
                         json.value("claim_ms", 0.0) + json.value("copy_ms", 0.0)) /
                        1000;
        }
      }
      continue;
    }
    if (line.console != node || run == nullptr || !run->start_s) continue;
    run->node_lines.push_back(line.text);
    stamped.emplace_back(line.seconds, line.text);
    if (!marker && Contains(line.text, kUserspaceMarker)) {
      marker = line;
      run->user_s = line.seconds - *run->start_s;
    } else if (marker && !run->kernel_init_s && Contains(line.text, kKernelInitLine)) {
      if (auto at = KernelInitOnReaderClock(marker->seconds, marker->text, line.text))
        run->kernel_init_s = *at - *run->start_s;
    }
  }
  finish(runs.empty() ? nullptr : &runs.back());
  return runs;
}

const std::vector<std::string>& PeerPathNames() {
  static const std::vector<std::string> kNames = {
      "cold", "kexec", "kexec-s", "kexec-i", "node-decompress", "node-direct", "node-image"};
  return kNames;
}

Result<PeersOptions> CheckPeersOptions(PeersOptions options) {
  if (options.rounds < 1 || options.rounds > 100)
    return Fail("--rounds ", std::to_string(options.rounds), " is not a count from 1 to 100");
  if (options.paths.empty()) options.paths = PeerPathNames();
  if (options.phases &&
      std::find(options.paths.begin(), options.paths.end(), kInitcallsPath) == options.paths.end())
    options.paths.push_back(kInitcallsPath);
  for (const std::string& path : options.paths) {
    if (path == kInitcallsPath) continue;
    const auto& names = PeerPathNames();
    if (std::find(names.begin(), names.end(), path) == names.end()) {
      std::string known;
      for (const std::string& name : names) known += (known.empty() ? "" : ", ") + name;
      return Fail("--paths: '", path, "' is not a boot path; they are ", known);
    }
  }
  if (options.plan_path.empty())
    options.plan_path = std::string(MINT_LAB_SOURCE_DIR) + "/examples/store.toml";
  if (options.kexec_root.empty()) options.kexec_root = MINT_LAB_KEXEC_ROOT;
  if (!options.kernel.empty() && access(options.kernel.c_str(), R_OK) != 0)
    return Fail("--kernel '", options.kernel, "' cannot be read");
  bool kexec = std::any_of(options.paths.begin(), options.paths.end(),
                           [](const std::string& p) { return p.starts_with("kexec"); });
  if (kexec && access((options.kexec_root + "/sbin/kexec").c_str(), X_OK) != 0)
    return Fail("no kexec at ", options.kexec_root,
                "/sbin/kexec: run scripts/setup (it fetches Debian's kexec-tools with "
                "scripts/closure), or leave the kexec paths out with --paths");
  return options;
}

Result<BootComparison> RunPeersBench(const PeersOptions& given) {
  PeersOptions options = MINT_TRY(CheckPeersOptions(given));
  SetPlanEnvironmentDefaults(options.artifacts);
  Plan plan = MINT_TRY(LoadPlanFile(options.plan_path));
  if (plan.nodes.empty()) return Fail(options.plan_path, " has no node to boot");
  const NodePlan* chosen = options.node.empty() ? &plan.nodes[0] : plan.FindNode(options.node);
  if (chosen == nullptr) return Fail(options.plan_path, " has no node named '", options.node, "'");
  Setting s;
  s.node = *chosen;
  if (!options.kernel.empty()) s.node.kernel = options.kernel;
  if (!s.node.memory_sizes.empty())
    return Fail("node ", s.node.name, " of ", options.plan_path,
                " gives its memory as sizes; the bench needs its ranges");
  for (const PhysRange& range : s.node.memory) s.node_memory += range.size();
  if (s.node.cmdline.find_first_of("\"$`\\") != std::string::npos)
    return Fail("node ", s.node.name, ": its cmdline '", s.node.cmdline,
                "' has a quote, $, ` or \\, which the kexec command line cannot carry");
  if (!plan.host.store &&
      std::find(options.paths.begin(), options.paths.end(), "node-image") != options.paths.end())
    return Fail(options.plan_path,
                " has no [host] store, where the node-image path keeps its image");

  // The node host's plan: its host and this node only, written where the lab reads it.
  Plan node_plan;
  node_plan.host = plan.host;
  node_plan.nodes = {s.node};
  const char* tmp = std::getenv("TMPDIR");
  std::string work = std::string(tmp && *tmp ? tmp : "/tmp") + "/mint-peers.XXXXXX";
  if (mkdtemp(work.data()) == nullptr) return Fail("cannot create a folder like ", work);
  s.plan_file = work + "/plan.toml";
  std::string plan_text = SerializePlan(node_plan);
  MINT_TRY_VOID(WriteWholeFile(
      s.plan_file,
      std::span(reinterpret_cast<const uint8_t*>(plan_text.data()), plan_text.size())));
  struct RemoveWork {
    std::string dir;
    ~RemoveWork() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } remove_work{work};
  s.vcpus = PlanVcpus(node_plan);
  s.machine_memory = uint64_t{2} << 30;  // the lab host's default (lab/host_run.h)
  // The cold and kexec kernels: the same tail, the node's core count and memory size, and the
  // console a node has (the early console on a UART, no 8250 driver), on COM1.
  uint32_t cores = static_cast<uint32_t>(s.node.cpus.size());
  s.peer_append = (s.node.cmdline.empty() ? "" : s.node.cmdline + " ") +
                  "nr_cpus=" + std::to_string(cores) +
                  " mem=" + std::to_string(s.node_memory >> 20) +
                  "M panic=0 8250.nr_uarts=0 earlyprintk=serial,ttyS0,115200,keep";

  BootComparison result;
  result.kernel = s.node.kernel;
  result.initrd = s.node.initrd;
  result.tail = s.node.cmdline;
  result.cores = cores;
  result.memory_bytes = s.node_memory;
  result.rounds = options.rounds;
  const std::map<std::string, std::pair<std::string, std::string>> kFrom = {
      {"cold", {"QEMU start", ""}},
      {"kexec", {"kexec -e", "(kexec -l)"}},
      {"kexec-s", {"kexec -e", "(kexec -s -l)"}},
      {"kexec-i", {"kexec -e", "(kexec -i -l)"}},
      {"node-decompress", {"INIT", "(read, build, claim, copy)"}},
      {"node-direct", {"INIT", "(read, build, claim, copy)"}},
      {"node-image", {"SIPI", "(read, check, zero, copy)"}},
      {kInitcallsPath, {"INIT", "(read, build, claim, copy)"}}};
  std::vector<std::string> all = PeerPathNames();
  all.push_back(kInitcallsPath);
  for (const std::string& name : all) {
    if (std::find(options.paths.begin(), options.paths.end(), name) == options.paths.end())
      continue;
    result.paths.push_back(
        BootPathResult{.name = name,
                       .start = kFrom.at(name).first,
                       .clock = name == "node-image" ? "host TSC" : "lab consoles",
                       .kernel_init_s = {},
                       .user_s = {},
                       .host_s = {},
                       .host_what = kFrom.at(name).second,
                       .failures = {},
                       .clock_s = {},
                       .initcalls = {}});
  }
  std::map<std::string, BootPathResult*> by_name;
  for (BootPathResult& path : result.paths) by_name[path.name] = &path;

  // The machines of one round: the cold one, a lab host per kexec variant, the node host.
  std::vector<std::string> machines, node_paths;
  for (const BootPathResult& path : result.paths) {
    if (path.name.starts_with("node-"))
      node_paths.push_back(path.name);
    else
      machines.push_back(path.name);
  }
  if (!node_paths.empty()) machines.push_back("node");
  std::vector<std::string> retried;
  for (int round = 0; round < options.rounds; ++round) {
    std::vector<std::string> order = machines, inner = node_paths;
    std::rotate(order.begin(), order.begin() + (round % order.size()), order.end());
    if (!inner.empty())
      std::rotate(inner.begin(), inner.begin() + (round % inner.size()), inner.end());
    for (const std::string& machine : order) {
      std::fprintf(stderr, "mint-lab bench peers: round %d/%d: %s\n", round + 1, options.rounds,
                   machine.c_str());
      if (machine == "node") {
        MINT_TRY_VOID(RunNodeHost(s, options, inner, round, by_name));
        continue;
      }
      // A cold or kexec'd kernel under TCG on a loaded machine may panic in its IO-APIC timer
      // check ("IO-APIC + timer doesn't work"), a lab artifact rather than the path's: such a
      // run is noted and run once more.
      BootPathResult& path = *by_name[machine];
      for (int attempt = 0; attempt < 2; ++attempt) {
        size_t samples = path.user_s.size();
        if (machine == "cold") {
          MINT_TRY_VOID(RunCold(s, options, round, path));
        } else {
          std::string flags = machine == "kexec-s" ? "-s" : machine == "kexec-i" ? "-i" : "";
          MINT_TRY_VOID(RunKexec(s, options, flags, round, path));
        }
        if (path.user_s.size() > samples || attempt > 0 || path.failures.empty() ||
            !Contains(path.failures.back(), "the kernel panicked"))
          break;
        std::string failure = path.failures.back();
        path.failures.pop_back();
        retried.push_back(failure.substr(0, failure.find("; last lines")) + " (" + machine +
                          "; run again)");
      }
    }
  }
  result.notes = {
      "kernel_init: the kernel's \"Run /init\" record, placed on the lab's clock through its "
      "printk stamp's distance to the marker's; userspace: the node init's first line (" +
          std::string(kUserspaceMarker) + "...) arriving on the console.",
      "cold and kexec kernels' command line: " + s.peer_append,
      "a node's: " + s.node.cmdline +
          " plus what Mint adds (tsc_early_khz, nr_cpus, pci=off, panic=0, no_ipi_broadcast=1, "
          "8250.nr_uarts=0, earlyprintk on its own UART, mint_status); RAM " +
          std::to_string(s.node_memory >> 20) + " MiB on every path.",
      "node paths start at mint.ko's \"started\" line, printed just after INIT, the 10 ms wait "
      "and the SIPIs; node-image's times are the host's TSC (an image has no /init to mark).",
      "node paths' phases: the kernel's clock starts at its TSC calibration (tsc_early_init), "
      "placed on the lab's clock by the earliest arrival less stamp of its console lines; " +
          std::string(kInitcallsPath) + " (--phases): node-direct with \"" +
          std::string(kInitcallDebugArgs) + "\" added, its own boot, slower for the printing.",
      "every machine: QEMU TCG q35, " + std::to_string(s.vcpus) + " vCPUs, " +
          std::to_string(s.machine_memory >> 20) + " MiB; times in seconds."};
  result.notes.insert(result.notes.end(), retried.begin(), retried.end());
  return result;
}

}  // namespace mint
