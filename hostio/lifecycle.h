// A node's lifecycle on this host: the one place that sequences a boot (prepare, claim, copy,
// wake), a stop (park, zero, give devices back) and a resume from a memory image. Every command
// that boots, stops or resumes a node calls these; nothing else issues CREATE, LOAD, START or
// DESTROY (tests/layers_test.sh checks it). A feature that adds a step to a node's life (a
// network link, a moved core) adds it here, once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "artifacts.h"
#include "devices.h"
#include "direct_kernel.h"
#include "host_device.h"
#include "images.h"
#include "loader.h"
#include "plan.h"
#include "result.h"
#include "store_session.h"

namespace mint {

// What a boot needs from the host: the module, the plan's store (none without one) and the
// TSC rate the node's command line carries. A dry run has no module and guesses the rate.
struct HostSession {
  std::unique_ptr<HostDevice> host;     // null in a dry run
  std::unique_ptr<StoreSession> store;  // null when the plan has no store
  uint64_t tsc_khz = 0;
  const Plan* plan = nullptr;  // the plan booted from (its [network] gives nodes their links)
  bool dry_run() const { return host == nullptr; }

  // Opens `device` for `plan` (which must outlive the session), installs the trampoline at the
  // bottom of the plan's low window when it is not there yet, and opens the plan's store.
  static Result<HostSession> Open(const Plan& plan, const std::string& device);
  // No module: nothing is claimed or loaded; the TSC rate comes from /proc/cpuinfo.
  static HostSession DryRun(const Plan& plan);
};

struct StartedNode {
  uint32_t id = 0;
  StartStamps stamps;
  double claim_ms = 0;  // CREATE: the module's ownership checks
  double copy_ms = 0;   // LOAD of every segment
  uint64_t copied_bytes = 0;
  uint32_t link_ring = 0;         // a node with a link: each side's ring as the module set it
  double link_ms = 0;             // the link ioctl and the host's bridge
  double root_ms = 0;             // a diskless node: its overlay and root server (root_server.h)
  uint64_t root_image_bytes = 0;  // its root image's size
  bool root_on_demand = false;    // its root is a URL, fetched as the node reads it
};

// A node ready to be claimed: its images read, its kernel unpacked when it is entered directly,
// its devices fenced off the host's drivers (resolved only, in a dry run) and its boot
// artifacts built. Until it is started, destroying it gives the fenced devices back, so a boot
// that fails before the claim leaves nothing behind.
class PreparedNode {
 public:
  ~PreparedNode();
  PreparedNode(const PreparedNode&) = delete;
  PreparedNode& operator=(const PreparedNode&) = delete;

  const NodePlan& node;
  LoadedImages images;
  std::optional<DirectKernelBytes> unpacked;  // direct entry: the kernel's ELF
  NodeDevices devices;
  NodeArtifacts artifacts;
  double read_ms = 0;   // images, and the unpacked kernel
  double build_ms = 0;  // boot_params, e820, ACPI, page tables, segments

 private:
  friend Result<std::unique_ptr<PreparedNode>> PrepareNode(const NodePlan&, HostSession&,
                                                           EntryMode);
  friend Result<StartedNode> StartPrepared(HostSession&, PreparedNode&);
  explicit PreparedNode(const NodePlan& plan_node, LoadedImages read)
      : node(plan_node), images(std::move(read)) {}
  bool fenced_ = false;  // devices are off the host's drivers and not yet the node's
};

// Reads, unpacks, fences and builds (nothing claimed yet). Any failure gives back what it fenced.
Result<std::unique_ptr<PreparedNode>> PrepareNode(const NodePlan& node, HostSession& session,
                                                  EntryMode entry);

// Claims the node's resources, copies every segment and wakes its boot core; then places the
// images read from disk into the store while the node boots. A failure gives back the claim
// and the devices. The trampoline must already be installed (HostSession::Open does it).
Result<StartedNode> StartPrepared(HostSession& session, PreparedNode& prepared);

// What joins a node's link to the host's network once the module made its device (between
// MINT_IOC_LINK and START): ConnectLinkToBridge (netlink.h) on a real host.
using ConnectLinkFn = std::function<Result<void>(const NodeLink&)>;

// The claim, copy and wake alone, over any loader (tests back it with a plain buffer): CREATE,
// then for a node with a link MINT_IOC_LINK and `connect`, then LOAD of every segment, then
// START. Any failure after the claim gives the resources back.
Result<StartedNode> StartNode(NodeLoader& loader, const NodePlan& node,
                              const NodeArtifacts& artifacts, const ConnectLinkFn& connect = {});

// Makes sure the trampoline is installed at the bottom of the host's low window.
Result<void> EnsureTrampoline(NodeLoader& loader, const HostPlan& host);

// Polls the node's status until its agent reports ready, `timeout` passes (an error saying
// what was seen last), or the node fails. `progress` is called on every poll.
using ProgressFn = std::function<void(const mint_node_status&, double elapsed_s)>;
Result<mint_node_status> WaitReady(NodeLoader& loader, uint32_t id,
                                   std::chrono::milliseconds timeout, const ProgressFn& progress);

// Stops node `id` (called `name`): the module parks its cores with INIT, zeroes its memory and
// frees its cores and memory; then the PCI functions it owned are reset and given back to the
// host's drivers. Every stop goes through here (mint stop, down, restart, a failed boot's
// clean-up, the benchmarks).
Result<void> StopNode(NodeLoader& loader, uint32_t id, const std::string& name);
// The same for the node called `name`, whatever its state; false when the module has none.
Result<bool> StopNodeNamed(NodeLoader& loader, const std::string& name);

struct ImageBootResult {
  uint32_t id = 0;
  std::string node;
  uint64_t image_bytes = 0;  // the image as read
  uint64_t page_bytes = 0;   // its non-zero pages
  double read_ms = 0;        // read the image (file; a view of the store costs nothing)
  double check_ms = 0;       // parse it and check its XXH64
  double decompress_ms = 0;  // LZ4
  double zero_ms = 0;        // zero the pages the image does not hold
  double copy_ms = 0;        // copy its pages into the node
  double host_ms = 0;        // all of the above, up to the SIPI
  double sipi_to_kernel_ms = 0;
  double sipi_to_user_ms = 0;
  double total_ms = 0;  // start of the read -> the node's userspace is back
};

// Puts the memory image `source` (a file, or a name in the plan's store) into the plan's node
// `node_name` (empty: the node the image was taken of), which must have the image's layout,
// and resumes it; waits until its userspace is back. Nothing stays claimed on failure.
Result<ImageBootResult> ResumeImage(HostSession& session, const Plan& plan,
                                    const std::string& node_name, const std::string& source,
                                    double timeout_s);

// Milliseconds between two TSC stamps at tsc_khz.
inline double TscMs(uint64_t from, uint64_t to, uint64_t tsc_khz) {
  if (tsc_khz == 0 || to < from) return 0;
  return static_cast<double>(to - from) / static_cast<double>(tsc_khz);
}

}  // namespace mint
