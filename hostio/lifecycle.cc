// The node lifecycle (lifecycle.h): boot, stop and image resume, each sequenced once.
#include "lifecycle.h"

#include <cstring>
#include <fstream>
#include <thread>

#include "memory_images.h"
#include "netlink.h"
#include "node_access.h"
#include "root_server.h"

namespace mint {
namespace {

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

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

}  // namespace

Result<HostSession> HostSession::Open(const Plan& plan, const std::string& device) {
  HostSession session;
  session.plan = &plan;
  session.host = MINT_TRY(HostDevice::Open(device));
  HostInfo info = MINT_TRY(session.host->Info());
  if (info.tsc_khz == 0) return Fail("the host module reports no TSC frequency");
  session.tsc_khz = info.tsc_khz;
  MINT_TRY_VOID(EnsureTrampoline(*session.host, plan.host));
  session.store = MINT_TRY(OpenPlanStore(plan.host, device));  // none without a [host] store
  return session;
}

HostSession HostSession::DryRun(const Plan& plan) {
  HostSession session;
  session.plan = &plan;
  session.tsc_khz = GuessTscKhz();
  return session;
}

PreparedNode::~PreparedNode() {
  if (fenced_) GiveBackNodeDevices(node.name);
}

Result<std::unique_ptr<PreparedNode>> PrepareNode(const NodePlan& node, HostSession& session,
                                                  EntryMode entry) {
  StoreSession* store = session.store.get();
  auto images = MINT_TRY(ReadImages(node, store, /*defer_placement=*/!session.dry_run()));
  if (std::string problem = NodeModuleProblem(node, images.module); !problem.empty())
    return Fail(problem);
  std::unique_ptr<PreparedNode> prepared(new PreparedNode(node, std::move(images)));
  LoadedImages& read = prepared->images;
  prepared->read_ms = read.read_ms;
  DirectKernel direct;
  if (UseDirectEntry(entry, read.image,
                     StoreHasUnpackedKernel(store, node.kernel, read.kernel, read.image))) {
    auto loaded = LoadDirectKernel(node.kernel, read.kernel, read.image, store);
    if (!loaded) return Fail("node ", node.name, ": ", loaded.error().message);
    prepared->unpacked = std::move(*loaded);
    direct = {prepared->unpacked->elf, &prepared->unpacked->parsed};
    prepared->read_ms += prepared->unpacked->ms;
  }
  // Devices of its own: fenced off the host's drivers before the node is built and woken.
  if (session.dry_run()) {
    auto devices = ResolveNodeDevices(node);
    if (!devices) return Fail("node ", node.name, ": ", devices.error().message);
    prepared->devices = std::move(*devices);
  } else {
    auto devices = FenceNodeDevices(node);
    prepared->fenced_ = true;  // a refusal may have fenced some: give those back too
    if (!devices) return Fail("node ", node.name, ": ", devices.error().message);
    prepared->devices = std::move(*devices);
  }
  auto build_start = std::chrono::steady_clock::now();
  NodeInputs inputs{&node,
                    read.kernel,
                    &read.image,
                    read.initrd,
                    session.tsc_khz,
                    KaslrSeed(),
                    &prepared->devices.pci,
                    &prepared->devices.mmio};
  std::optional<NodeLink> link;
  if (session.plan != nullptr) link = NodeLinkOf(*session.plan, node);
  if (node.address && !link)
    return Fail("node ", node.name, ": has an address but no link (the plan has no [network])");
  inputs.link = link ? &*link : nullptr;
  std::vector<NodeDirectLink> direct_links;
  if (session.plan != nullptr) direct_links = DirectLinksOf(*session.plan, node);
  inputs.direct_links = &direct_links;
  std::optional<NodeRoot> root;
  if (session.plan != nullptr) root = NodeRootOf(*session.plan, node);
  if (!node.root.empty() && !root)
    return Fail("node ", node.name, ": has a root image but no link to serve it over (give it an ",
                "address in [network])");
  if (root && !session.dry_run()) MINT_TRY_VOID(CheckRootServable(*root, DefaultRootServerPaths()));
  inputs.root = root ? &*root : nullptr;
  prepared->artifacts =
      MINT_TRY(BuildNodeArtifacts(inputs, prepared->unpacked ? &direct : nullptr));
  prepared->build_ms = MsSince(build_start);
  return prepared;
}

Result<StartedNode> StartPrepared(HostSession& session, PreparedNode& prepared) {
  if (session.dry_run()) return Fail("node ", prepared.node.name, ": a dry run starts nothing");
  StartedNode started =
      MINT_TRY(StartNode(*session.host, prepared.node, prepared.artifacts, ConnectLinkToBridge));
  prepared.fenced_ = false;  // the devices are the node's now; its stop gives them back
  // A diskless node's root server, while its kernel boots (seconds before its /init connects):
  // after StartNode, which gave the bridge its address to listen on.
  if (const std::optional<NodeRoot>& root = prepared.artifacts.root) {
    auto served = StartRootServer(*root, DefaultRootServerPaths());
    if (!served) {
      auto stopped = StopNode(*session.host, started.id, prepared.node.name);
      return Fail(served.error().message,
                  stopped ? "" : "; stopping the node also failed: " + stopped.error().message);
    }
    started.root_ms = served->ms;
    started.root_image_bytes = served->image_bytes;
    started.root_on_demand = served->on_demand;
  }
  PlaceInStore(session.store.get(), prepared.images);  // while the node boots
  return started;
}

Result<void> StopNode(NodeLoader& loader, uint32_t id, const std::string& name) {
  MINT_TRY_VOID(loader.Destroy(id));
  GiveBackNodeDevices(name);  // the node's cores are parked: its devices may go back
  // A diskless node's root server goes with it; its overlay (the node's writes) stays.
  MINT_TRY(StopRootServer(name, DefaultRootServerPaths()));
  return Ok{};
}

Result<bool> StopNodeNamed(NodeLoader& loader, const std::string& name) {
  for (uint32_t id = 0; id < MINT_MAX_NODES; ++id) {
    auto status = loader.Status(id);
    if (!status) return status.take_error();
    if (status->state == MINT_STATE_FREE) continue;
    if (std::string(status->name, strnlen(status->name, sizeof(status->name))) != name) continue;
    MINT_TRY_VOID(StopNode(loader, id, name));
    return true;
  }
  return false;
}

Result<void> EnsureTrampoline(NodeLoader& loader, const HostPlan& host) {
  HostInfo info = MINT_TRY(loader.Info());
  if (info.trampoline_installed && info.trampoline_phys == host.low_window.start) return Ok{};
  return loader.InstallTrampoline(host.low_window.start, TrampolineCode());
}

Result<StartedNode> StartNode(NodeLoader& loader, const NodePlan& node,
                              const NodeArtifacts& artifacts, const ConnectLinkFn& connect) {
  NodeClaim claim;
  claim.name = node.name;
  claim.apic_ids = node.cpus;
  claim.receive_apic_ids = node.receive_cpus;
  claim.low = *node.low;
  claim.memory = node.memory;
  claim.status_page = artifacts.layout.status_page;

  StartedNode started;
  auto t0 = std::chrono::steady_clock::now();
  started.id = MINT_TRY(loader.Create(claim));
  started.claim_ms = MsSince(t0);

  auto give_back = [&](Error error) -> Error {
    auto destroyed = loader.Destroy(started.id);
    if (!destroyed)
      error.message += "; giving node " + node.name +
                       "'s resources back also failed: " + destroyed.error().message;
    return error;
  };
  // The link before anything runs in the node: its kernel finds the descriptor written and
  // the host's device in its bridge when mint_node.ko reads mint_link=.
  if (artifacts.link) {
    auto t_link = std::chrono::steady_clock::now();
    auto ring = loader.Link(started.id, *artifacts.link);
    if (!ring) return give_back(Fail("node ", node.name, ": ", ring.error().message));
    started.link_ring = *ring;
    if (connect) {
      auto connected = connect(*artifacts.link);
      if (!connected)
        return give_back(Fail("node ", node.name, ": network link: ", connected.error().message));
    }
    started.link_ms = MsSince(t_link);
  }
  // Its side of each direct link, likewise before it runs: the host zeroes this side's
  // section (or the whole region when the other node is not there) and writes the descriptor.
  for (const NodeDirectLink& link : artifacts.direct_links) {
    auto ring = loader.DirectLink(started.id, link);
    if (!ring) return give_back(Fail("node ", node.name, ": ", ring.error().message));
  }
  auto t1 = std::chrono::steady_clock::now();
  for (const Segment& segment : artifacts.segments) {
    auto loaded = loader.Load(started.id, segment.phys, segment.bytes);
    if (!loaded)
      return give_back(Fail("node ", node.name, ": ", SegmentName(segment), " (",
                            std::to_string(segment.bytes.size()), " bytes at ",
                            FormatRange({segment.phys, segment.phys + segment.bytes.size()}),
                            "): ", loaded.error().message));
    started.copied_bytes += segment.bytes.size();
  }
  started.copy_ms = MsSince(t1);
  EntryPoint entry{artifacts.layout.boot_params, artifacts.entry, artifacts.long_mode,
                   artifacts.page_tables.pml4, artifacts.page_tables.pml5};
  auto stamps = loader.Start(started.id, entry);
  if (!stamps) return give_back(Fail("node ", node.name, ": ", stamps.error().message));
  started.stamps = *stamps;
  return started;
}

Result<mint_node_status> WaitReady(NodeLoader& loader, uint32_t id,
                                   std::chrono::milliseconds timeout, const ProgressFn& progress) {
  auto start = std::chrono::steady_clock::now();
  mint_node_status status{};
  for (;;) {
    status = MINT_TRY(loader.Status(id));
    double elapsed = MsSince(start) / 1000.0;
    if (progress) progress(status, elapsed);
    if (status.state == MINT_STATE_READY) return status;
    if (status.state == MINT_STATE_FREE || status.state == MINT_STATE_STOPPED)
      return Fail("node ", std::to_string(id), " stopped before it was ready");
    // Its agent's `mint-agent fail WHY`: the magic without the READY phase, and its reason.
    if (status.page.magic == MINT_STATUS_MAGIC && status.page.phase != MINT_PHASE_READY &&
        status.page.message[0] != '\0')
      return Fail("node ", std::string(status.name), " failed before it was ready: ",
                  std::string(status.page.message,
                              strnlen(status.page.message, sizeof(status.page.message))));
    if (std::chrono::steady_clock::now() - start >= timeout) {
      const char* seen = status.page.tsc_trampoline == 0
                             ? "its core never reached the trampoline (check the trampoline and "
                               "the INIT/SIPI in the host's kernel log)"
                             : "its core ran the trampoline but its agent never reported ready "
                               "(see the node's console)";
      return Fail("node ", std::string(status.name), " not ready after ",
                  std::to_string(timeout.count() / 1000), " s: ", seen);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<ImageBootResult> ResumeImage(HostSession& session, const Plan& plan,
                                    const std::string& node_name, const std::string& source,
                                    double timeout_s) {
  if (session.dry_run()) return Fail("a memory image cannot be resumed in a dry run");
  HostDevice& host = *session.host;
  StoreSession* store = session.store.get();
  ImageBootResult result;
  auto start = std::chrono::steady_clock::now();
  auto bytes = MINT_TRY(ReadImageSource(source, store));
  result.read_ms = MsSince(start);
  auto check_start = std::chrono::steady_clock::now();
  auto image = MINT_TRY(ParseMemoryImage(bytes));
  result.check_ms = MsSince(check_start);
  const std::string& wanted = node_name.empty() ? image.layout.node : node_name;
  const NodePlan* found = plan.FindNode(wanted);
  if (found == nullptr)
    return Fail("the plan has no node named '", wanted, "' to resume the image ", source, " as");
  const NodePlan& node = *found;
  if (!node.low) return Fail("node ", node.name, " has no low slice assigned");
  if (!node.root.empty())
    return Fail("node ", node.name, " is diskless (root ", node.root,
                "): resuming it from a memory image is not built (its kernel's NBD connection "
                "would not survive); boot it with `mint boot`");
  result.node = node.name;
  std::string mismatch = LayoutMismatch(image.layout, PlanLayout(node));
  if (!mismatch.empty())
    return Fail("the memory image ", source, " (node ", image.layout.node,
                ") cannot resume as node ", node.name, ": ", mismatch);
  auto unpack_start = std::chrono::steady_clock::now();
  std::vector<uint8_t> unpacked;
  std::span<const uint8_t> pages = image.data;  // raw: straight from where the image lies
  if (image.codec == PageCodec::kLz4) {
    unpacked = MINT_TRY(DecompressPages(image));
    pages = unpacked;
  }
  result.decompress_ms = MsSince(unpack_start);
  result.image_bytes = bytes.size();
  result.page_bytes = image.page_bytes;

  // The node's kernel resumes with its drivers bound to its devices: they come off the host's
  // drivers first, as for a boot (mint stop gives them back; a failure here does). The drivers'
  // resume callbacks set the devices up again, whatever the host did with them meanwhile.
  if (auto fenced = FenceNodeDevices(node); !fenced) {
    GiveBackNodeDevices(node.name);
    return Fail("node ", node.name, ": ", fenced.error().message);
  }
  NodeClaim claim;
  claim.name = node.name;
  claim.apic_ids = node.cpus;
  claim.receive_apic_ids = node.receive_cpus;
  claim.low = *node.low;
  claim.memory = node.memory;
  claim.status_page = image.layout.status_page;
  auto created = host.Create(claim);
  if (!created) {
    GiveBackNodeDevices(node.name);
    return Fail(created.error().message);
  }
  uint32_t id = *created;
  auto give_back = [&](const std::string& why) -> Result<ImageBootResult> {
    auto stopped = StopNode(host, id, node.name);
    return Fail(
        "node ", node.name, ": ", why,
        stopped ? "" : "; giving its resources back also failed: " + stopped.error().message);
  };
  // The link comes back as it was: the same region, device and bridge port (the module
  // takes back the device it made for the node's earlier life).
  if (std::optional<NodeLink> link = NodeLinkOf(plan, node)) {
    auto ring = host.Link(id, *link);
    if (!ring) return give_back(ring.error().message);
    auto connected = ConnectLinkToBridge(*link);
    if (!connected) return give_back("network link: " + connected.error().message);
  }
  // Direct links too: the restored module finds its section cleared and starts a new epoch.
  for (const NodeDirectLink& link : DirectLinksOf(plan, node)) {
    auto ring = host.DirectLink(id, link);
    if (!ring) return give_back(ring.error().message);
  }
  auto copy_start = std::chrono::steady_clock::now();
  for (const PageRun& run : ZeroRuns(image)) {
    auto zeroed = host.Zero(id, run.phys, run.pages * kPage);
    if (!zeroed) return give_back(zeroed.error().message);
  }
  result.zero_ms = MsSince(copy_start);
  auto load_start = std::chrono::steady_clock::now();
  size_t offset = 0;
  for (const PageRun& run : image.runs) {
    auto loaded = host.Load(id, run.phys, pages.subspan(offset, run.pages * kPage));
    if (!loaded) return give_back(loaded.error().message);
    offset += run.pages * kPage;
  }
  result.copy_ms = MsSince(load_start);
  result.host_ms = MsSince(start);
  auto resumed = host.Resume(id);
  if (!resumed) return give_back(resumed.error().message);
  uint64_t sipi = resumed->tsc_sipi;
  // The image was taken while its agent's suspend request was open: its return is userspace.
  for (;;) {
    auto status = MINT_TRY(host.Status(id));
    if (status.state != MINT_STATE_READY)
      return Fail("node ", node.name, " did not resume from the image: the module says state ",
                  std::to_string(status.state));
    if (status.page.tsc_resumed > sipi) {
      result.sipi_to_user_ms = TscMs(sipi, status.page.tsc_resumed, session.tsc_khz);
      result.sipi_to_kernel_ms = TscMs(sipi, status.tsc_kernel_back, session.tsc_khz);
      break;
    }
    if (SecondsSinceTsc(sipi, session.tsc_khz) > timeout_s)
      return Fail("node ", node.name,
                  ": resumed from the image, but its userspace did not say "
                  "so within ",
                  std::to_string(static_cast<int>(timeout_s)), " s");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  result.total_ms = MsSince(start);
  result.id = id;
  return result;
}

}  // namespace mint
