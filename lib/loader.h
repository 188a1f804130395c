// The one interface through which Mint touches a machine: the host module's ioctls
// (cli/host_device.cc), or a plain buffer in tests (lib/fake_loader.h). Everything above it is
// pure and testable; everything below it is the module's thin mechanism.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mint/abi.h"
#include "plan.h"
#include "result.h"

namespace mint {

struct HostInfo {
  uint64_t tsc_khz = 0;
  uint32_t nodes = 0;
  bool trampoline_installed = false;
  uint64_t trampoline_phys = 0;
  bool x2apic = false;
};

// What a node asks to own: its cores, its low slice and its memory.
struct NodeClaim {
  std::string name;
  std::vector<uint32_t> apic_ids;          // [0] is the boot core
  std::vector<uint32_t> receive_apic_ids;  // cores it may receive later (docs/cores.md)
  PhysRange low;
  std::vector<PhysRange> memory;
  uint64_t status_page = 0;
};

// Where and how the boot core enters the kernel (struct mint_start).
struct EntryPoint {
  uint64_t boot_params = 0;
  uint64_t entry = 0;      // the kernel's 32-bit entry, or its 64-bit startup_64
  bool long_mode = false;  // enter in 64-bit mode on the identity map below
  uint64_t pml4 = 0;       // long mode: roots of the identity map in the node's memory
  uint64_t pml5 = 0;
};

struct StartStamps {
  uint64_t tsc_before_init = 0;
  uint64_t tsc_after_sipi = 0;
};

class NodeLoader {
 public:
  virtual ~NodeLoader() = default;
  virtual Result<HostInfo> Info() = 0;
  virtual Result<void> InstallTrampoline(uint64_t phys, std::span<const uint8_t> code) = 0;
  virtual Result<uint32_t> Create(const NodeClaim& claim) = 0;
  virtual Result<void> Load(uint32_t id, uint64_t phys, std::span<const uint8_t> bytes) = 0;
  virtual Result<StartStamps> Start(uint32_t id, const EntryPoint& entry) = 0;
  // Absent (a free slot) is not a failure: ok with state MINT_STATE_FREE.
  virtual Result<mint_node_status> Status(uint32_t id) = 0;
  virtual Result<void> Destroy(uint32_t id) = 0;
  // MINT_IOC_LINK: gives node `id` (created, not started) its link to the host, `link.region`
  // with the host's device `link.ifname`; returns each side's ring size as the module set it.
  virtual Result<uint32_t> Link(uint32_t id, const NodeLink& link) = 0;
  // MINT_IOC_DLINK: gives node `id` (created, not started) its side of a direct link to
  // another node; returns each side's ring size as the module set it.
  virtual Result<uint32_t> DirectLink(uint32_t id, const NodeDirectLink& link) = 0;
};

// The trampoline as assembled from boot/trampoline.S (embedded at build time).
std::span<const uint8_t> TrampolineCode();

}  // namespace mint
