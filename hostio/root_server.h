// A diskless node's root server (docs/diskless.md): one qemu-nbd per node, started when the
// node boots and stopped when it stops, serving a qcow2 overlay of the node's own over the
// plan's raw root image, on the bridge's address and the node's port, under the node's name.
// The overlay is a file that outlives the server: the node's writes survive `mint restart`
// and `mint stop`, and only `mint rootfs reset NODE` drops them. The shared image is only read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plan.h"
#include "result.h"

namespace mint {

struct RootServerPaths {
  std::string state_dir;  // overlays, NODE.qcow2, and what each was made over, NODE.base
  std::string run_dir;    // NODE.pid and NODE.log of the running servers
};
// /var/lib/mint/roots and /run/mint/roots; MINT_ROOT_STATE_DIR and MINT_ROOT_RUN_DIR name
// others (the unit tests run servers of their own).
RootServerPaths DefaultRootServerPaths();

struct RootServerStarted {
  int pid = 0;
  bool overlay_created = false;  // the node's first boot from this image (or after a reset)
  uint64_t image_bytes = 0;      // the shared image's size, what the node sees
  bool on_demand = false;        // a URL: blocks are fetched as the node reads them
  double ms = 0;                 // overlay check or creation and the server's start
};

// What StartRootServer would refuse, checked before the node's resources are claimed: the image
// (a readable, non-empty file whose SHA-256 is the plan's root_sha256 when it has one; a URL that
// answers), an overlay made over another image, qemu-nbd and qemu-img.
Result<void> CheckRootServable(const NodeRoot& root, const RootServerPaths& paths);

// Starts the node's server, first making its overlay when there is none. Refuses an overlay
// made over another image, or over this one before it changed (its writes would land on other
// blocks), naming the reset that drops it. A server left running for the node is stopped
// first. `program` is qemu-nbd (FindRootServerProgram).
Result<RootServerStarted> StartRootServer(const NodeRoot& root, const RootServerPaths& paths);
// Stops the node's server, if one runs (SIGTERM, then SIGKILL after 2 s); true when one did.
Result<bool> StopRootServer(const std::string& node, const RootServerPaths& paths);
// The pid of the node's running server, if any.
std::optional<int> RootServerPid(const std::string& node, const RootServerPaths& paths);
// A server that was started for the node and is gone while the node was not stopped (its pid
// file is left, its process is not): its pid. None when it runs or was stopped by StopNode.
std::optional<int> RootServerGone(const std::string& node, const RootServerPaths& paths);
// The node's overlay's bytes on disk (qcow2 metadata, the node's writes and, for a URL, every
// block fetched so far: the progress of an on-demand root). 0 when it has none.
uint64_t RootOverlayBytes(const std::string& node, const RootServerPaths& paths);

struct RootOverlay {
  std::string node;
  std::string path;           // NODE.qcow2
  std::string image;          // what it was made over
  uint64_t used_bytes = 0;    // the overlay's blocks on disk: roughly what the node wrote
  std::optional<int> server;  // the running server's pid
};
Result<std::vector<RootOverlay>> ListRootOverlays(const RootServerPaths& paths);
// Drops the node's overlay (its writes). Refused while its server runs (the node is up).
// False when it had none.
Result<bool> ResetRootOverlay(const std::string& node, const RootServerPaths& paths);

}  // namespace mint
