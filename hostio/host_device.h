// NodeLoader backed by the host module's /dev/mint.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "loader.h"

namespace mint {

class HostDevice : public NodeLoader {
 public:
  static Result<std::unique_ptr<HostDevice>> Open(const std::string& path = "/dev/mint");
  ~HostDevice() override;
  HostDevice(const HostDevice&) = delete;
  HostDevice& operator=(const HostDevice&) = delete;

  Result<HostInfo> Info() override;
  Result<void> InstallTrampoline(uint64_t phys, std::span<const uint8_t> code) override;
  Result<uint32_t> Create(const NodeClaim& claim) override;
  Result<void> Load(uint32_t id, uint64_t phys, std::span<const uint8_t> bytes) override;
  Result<StartStamps> Start(uint32_t id, const EntryPoint& entry) override;
  Result<mint_node_status> Status(uint32_t id) override;
  Result<void> Destroy(uint32_t id) override;
  Result<uint32_t> Link(uint32_t id, const NodeLink& link) override;
  Result<uint32_t> DirectLink(uint32_t id, const NodeDirectLink& link) override;
  // MINT_IOC_DLINK_STATUS: direct link slot `index` as the host sees it; nullopt for a free slot.
  Result<std::optional<mint_dlink_status>> DirectLinkStatus(uint32_t index);
  // MINT_IOC_CPU: one step of a core's move (hostio/cores.h); `errno_out` gets the errno.
  Result<mint_cpu> Cpu(const mint_cpu& request, int* errno_out = nullptr);
  // MINT_IOC_MEM: one step of moving memory (hostio/node_memory.h).
  Result<mint_mem> Mem(const mint_mem& request);
  // MINT_IOC_RESUME: SIPI a suspended node back to its kernel's wakeup code.
  Result<mint_resume> Resume(uint32_t id);
  // MINT_IOC_READ: a suspended or stopped node's memory at `phys`.
  Result<void> Read(uint32_t id, uint64_t phys, std::span<uint8_t> bytes);
  // MINT_IOC_LOAD with MINT_LOAD_ZERO: zeroes `size` bytes at `phys` before START.
  Result<void> Zero(uint32_t id, uint64_t phys, uint64_t size);

  // A node's shared sections (docs/shared-memory.md): `offset` from its status page.
  Result<void> ReadShared(uint32_t id, uint64_t offset, std::span<uint8_t> bytes);
  Result<void> WriteShared(uint32_t id, uint64_t offset, std::span<const uint8_t> bytes);
  template <typename T>
  Result<T> ReadSharedAs(uint32_t id, uint64_t offset) {
    T value{};
    MINT_TRY_VOID(ReadShared(id, offset, {reinterpret_cast<uint8_t*>(&value), sizeof(value)}));
    return value;
  }

 private:
  explicit HostDevice(int fd) : fd_(fd) {}
  // Runs one ioctl; on failure the error names the request and what the kernel said, and
  // `errno_out` (when given) gets the ioctl's errno.
  Result<void> Call(unsigned long request, void* arg, const char* what, int* errno_out = nullptr);
  int fd_;
};

}  // namespace mint
