#include "host_device.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace mint {
namespace {

template <typename T>
T WithHeader() {
  T value;
  std::memset(&value, 0, sizeof(value));
  value.hdr.magic = MINT_ABI_MAGIC;
  value.hdr.revision = MINT_ABI_REVISION;
  return value;
}

// What an errno from the module means, in the module's own terms (kmod/host/README.md).
const char* Explain(int err) {
  switch (err) {
    case EPERM:
      return "needs CAP_SYS_BOOT (run as root)";
    case EPROTO:
      return "the module speaks another ABI revision than this mint; rebuild both";
    case ENODEV:
      return "unknown APIC ID (no such core in the host)";
    case EBUSY:
      return "already in use (a core online in the host, or owned by another node, "
             "or memory another node owns)";
    case EINVAL:
      return "refused (not reserved memory, System RAM, misaligned, or out of range)";
    case EFAULT:
      return "outside the memory the node owns";
    case ENOENT:
      return "no such node";
    case ENOSPC:
      return "the module tracks no more nodes";
    default:
      return nullptr;
  }
}

}  // namespace

Result<std::unique_ptr<HostDevice>> HostDevice::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT)
      return Fail("cannot open ", path,
                  ": no such device; load the host module first "
                  "(insmod mint.ko)");
    return Fail("cannot open ", path, ": ", std::strerror(err));
  }
  return std::unique_ptr<HostDevice>(new HostDevice(fd));
}

HostDevice::~HostDevice() {
  ::close(fd_);
}

Result<void> HostDevice::Call(unsigned long request, void* arg, const char* what, int* errno_out) {
  if (::ioctl(fd_, request, arg) == 0) return Ok{};
  int err = errno;
  if (errno_out != nullptr) *errno_out = err;
  // The module keeps the reason for the latest refusal on this open file.
  auto last = WithHeader<mint_last_error>();
  if (::ioctl(fd_, MINT_IOC_LAST_ERROR, &last) == 0 && last.text[0] != '\0') {
    last.text[sizeof(last.text) - 1] = '\0';
    return Fail(what, ": ", last.text, " (", std::strerror(err), ")");
  }
  const char* meaning = Explain(err);
  return Fail(what, ": ", std::strerror(err), meaning ? std::string(" - ") + meaning : "",
              " (the host's kernel log, dmesg, has the module's reason)");
}

Result<HostInfo> HostDevice::Info() {
  auto info = WithHeader<mint_info>();
  MINT_TRY_VOID(Call(MINT_IOC_INFO, &info, "reading the host module's info"));
  HostInfo out;
  out.tsc_khz = info.tsc_khz;
  out.nodes = info.nodes;
  out.trampoline_installed = info.trampoline_ok != 0;
  out.trampoline_phys = info.trampoline_phys;
  out.x2apic = info.x2apic != 0;
  return out;
}

Result<void> HostDevice::InstallTrampoline(uint64_t phys, std::span<const uint8_t> code) {
  auto arg = WithHeader<mint_trampoline>();
  arg.phys = phys;
  arg.code = reinterpret_cast<uintptr_t>(code.data());
  arg.code_size = static_cast<uint32_t>(code.size());
  return Call(MINT_IOC_TRAMPOLINE, &arg, "installing the trampoline");
}

static_assert(kMaxNodeCores == MINT_MAX_CPUS);

Result<uint32_t> HostDevice::Create(const NodeClaim& claim) {
  auto arg = WithHeader<mint_create>();
  if (claim.name.size() >= sizeof(arg.name)) return Fail("node name '", claim.name, "' too long");
  std::memcpy(arg.name, claim.name.data(), claim.name.size());
  if (claim.apic_ids.size() > MINT_MAX_CPUS)
    return Fail("node ", claim.name, ": ", std::to_string(claim.apic_ids.size()),
                " cores, the module takes at most ", std::to_string(MINT_MAX_CPUS));
  if (claim.memory.size() + 1 > MINT_MAX_RANGES)
    return Fail("node ", claim.name, ": ", std::to_string(claim.memory.size()),
                " memory ranges, the module takes at most ", std::to_string(MINT_MAX_RANGES - 1));
  if (claim.apic_ids.size() + claim.receive_apic_ids.size() > MINT_MAX_CPUS)
    return Fail("node ", claim.name, ": ", std::to_string(claim.apic_ids.size()), " own and ",
                std::to_string(claim.receive_apic_ids.size()),
                " receivable cores, the module takes at most ", std::to_string(MINT_MAX_CPUS),
                " in all");
  arg.n_cpus = static_cast<uint32_t>(claim.apic_ids.size());
  for (size_t i = 0; i < claim.apic_ids.size(); ++i) arg.apic_ids[i] = claim.apic_ids[i];
  arg.n_receive = static_cast<uint32_t>(claim.receive_apic_ids.size());
  for (size_t i = 0; i < claim.receive_apic_ids.size(); ++i)
    arg.receive_ids[i] = claim.receive_apic_ids[i];
  arg.n_ranges = static_cast<uint32_t>(claim.memory.size() + 1);
  arg.ranges[0] = {claim.low.start, claim.low.size()};
  for (size_t i = 0; i < claim.memory.size(); ++i)
    arg.ranges[i + 1] = {claim.memory[i].start, claim.memory[i].size()};
  arg.status_phys = claim.status_page;
  std::string what = "taking ownership of node " + claim.name + "'s cores and memory";
  MINT_TRY_VOID(Call(MINT_IOC_CREATE, &arg, what.c_str()));
  return arg.id;
}

Result<void> HostDevice::Load(uint32_t id, uint64_t phys, std::span<const uint8_t> bytes) {
  auto arg = WithHeader<mint_load>();
  arg.id = id;
  arg.phys = phys;
  arg.data = reinterpret_cast<uintptr_t>(bytes.data());
  arg.size = bytes.size();
  return Call(MINT_IOC_LOAD, &arg, "copying a segment into the node's memory");
}

Result<StartStamps> HostDevice::Start(uint32_t id, const EntryPoint& entry) {
  auto arg = WithHeader<mint_start>();
  arg.id = id;
  arg.flags = entry.long_mode ? MINT_ENTRY_LONG_MODE : 0;
  arg.boot_params = entry.boot_params;
  arg.entry = entry.entry;
  arg.pml4 = entry.pml4;
  arg.pml5 = entry.pml5;
  MINT_TRY_VOID(Call(MINT_IOC_START, &arg, "waking the node's boot core (INIT/SIPI)"));
  return StartStamps{arg.tsc_before_init, arg.tsc_after_sipi};
}

Result<mint_node_status> HostDevice::Status(uint32_t id) {
  auto arg = WithHeader<mint_node_status>();
  arg.id = id;
  if (::ioctl(fd_, MINT_IOC_STATUS, &arg) != 0) {
    if (errno == ENOENT) {
      arg.state = MINT_STATE_FREE;
      return arg;
    }
    int err = errno;
    return Fail("reading node ", std::to_string(id), "'s status: ", std::strerror(err));
  }
  return arg;
}

Result<void> HostDevice::Destroy(uint32_t id) {
  auto arg = WithHeader<mint_destroy>();
  arg.id = id;
  return Call(MINT_IOC_DESTROY, &arg, "stopping the node and releasing its resources");
}

Result<uint32_t> HostDevice::Link(uint32_t id, const NodeLink& link) {
  auto arg = WithHeader<mint_link_attach>();
  arg.id = id;
  arg.phys = link.region.start;
  arg.size = link.region.size();
  if (link.ifname.empty() || link.ifname.size() >= sizeof(arg.ifname))
    return Fail("network link: device name '", link.ifname, "' must have 1-15 characters");
  std::memcpy(arg.ifname, link.ifname.data(), link.ifname.size());
  for (size_t side = 0; side < 2; ++side)
    std::memcpy(arg.mac[side], link.mac[side].data(), link.mac[side].size());
  const std::string what = "network link " + link.ifname + " (" + FormatRange(link.region) + ")";
  int err = 0;
  auto linked = Call(MINT_IOC_LINK, &arg, what.c_str(), &err);
  if (!linked && err == ENOTTY)
    return Fail(what,
                ": the host module does not know MINT_IOC_LINK (ENOTTY): it is too old "
                "for plans with a [network]; build and load the current mint.ko");
  if (!linked) return linked.take_error();
  return arg.ring_size;
}

Result<uint32_t> HostDevice::DirectLink(uint32_t id, const NodeDirectLink& link) {
  auto arg = WithHeader<mint_dlink_attach>();
  arg.id = id;
  arg.side = link.side;
  arg.phys = link.region.start;
  arg.size = link.region.size();
  // The name is for the module's messages only: cut to fit.
  std::memcpy(arg.name, link.name.data(), std::min(link.name.size(), sizeof(arg.name) - 1));
  for (size_t side = 0; side < 2; ++side)
    std::memcpy(arg.mac[side], link.mac[side].data(), link.mac[side].size());
  const std::string what = "direct link " + link.name + " (" + FormatRange(link.region) + ")";
  int err = 0;
  auto linked = Call(MINT_IOC_DLINK, &arg, what.c_str(), &err);
  if (!linked && err == ENOTTY)
    return Fail(what,
                ": the host module does not know MINT_IOC_DLINK (ENOTTY): it is too old "
                "for plans with a [[link]]; build and load the current mint.ko");
  if (!linked) return linked.take_error();
  return arg.ring_size;
}

Result<std::optional<mint_dlink_status>> HostDevice::DirectLinkStatus(uint32_t index) {
  auto arg = WithHeader<mint_dlink_status>();
  arg.index = index;
  if (::ioctl(fd_, MINT_IOC_DLINK_STATUS, &arg) != 0) {
    if (errno == ENOENT) return std::optional<mint_dlink_status>();
    int err = errno;
    if (err == ENOTTY)
      return Fail(
          "the host module does not know MINT_IOC_DLINK_STATUS (ENOTTY): it is too old; "
          "build and load the current mint.ko");
    return Fail("reading direct link ", std::to_string(index), "'s status: ", std::strerror(err));
  }
  return std::optional<mint_dlink_status>(arg);
}

Result<mint_mem> HostDevice::Mem(const mint_mem& request) {
  auto arg = WithHeader<mint_mem>();
  mint_hdr hdr = arg.hdr;
  arg = request;
  arg.hdr = hdr;
  static constexpr const char* kWhat[] = {"asking about the memory", "giving the memory",
                                          "asking the node to give the memory back",
                                          "granting the memory again", "taking the memory back"};
  const char* what = request.op < std::size(kWhat) ? kWhat[request.op] : "moving memory";
  MINT_TRY_VOID(Call(MINT_IOC_MEM, &arg, what));
  return arg;
}

Result<mint_cpu> HostDevice::Cpu(const mint_cpu& request, int* errno_out) {
  auto arg = WithHeader<mint_cpu>();
  mint_hdr hdr = arg.hdr;
  arg = request;
  arg.hdr = hdr;
  static constexpr const char* kWhat[] = {"asking who owns the core", "giving the core",
                                          "asking the node to let the core go",
                                          "granting the core again", "taking the core back"};
  const char* what = request.op < std::size(kWhat) ? kWhat[request.op] : "moving the core";
  MINT_TRY_VOID(Call(MINT_IOC_CPU, &arg, what, errno_out));
  return arg;
}

Result<mint_resume> HostDevice::Resume(uint32_t id) {
  auto arg = WithHeader<mint_resume>();
  arg.id = id;
  MINT_TRY_VOID(Call(MINT_IOC_RESUME, &arg, "resuming the node"));
  return arg;
}

Result<void> HostDevice::Read(uint32_t id, uint64_t phys, std::span<uint8_t> bytes) {
  auto arg = WithHeader<mint_load>();
  arg.id = id;
  arg.phys = phys;
  arg.data = reinterpret_cast<uintptr_t>(bytes.data());
  arg.size = bytes.size();
  return Call(MINT_IOC_READ, &arg, "reading the node's memory");
}

Result<void> HostDevice::Zero(uint32_t id, uint64_t phys, uint64_t size) {
  auto arg = WithHeader<mint_load>();
  arg.id = id;
  arg.flags = MINT_LOAD_ZERO;
  arg.phys = phys;
  arg.size = size;
  return Call(MINT_IOC_LOAD, &arg, "zeroing the node's memory");
}

Result<void> HostDevice::ReadShared(uint32_t id, uint64_t offset, std::span<uint8_t> bytes) {
  auto arg = WithHeader<mint_shared_io>();
  arg.id = id;
  arg.offset = offset;
  arg.size = bytes.size();
  arg.data = reinterpret_cast<uintptr_t>(bytes.data());
  return Call(MINT_IOC_SHARED, &arg, "reading the node's shared sections");
}

Result<void> HostDevice::WriteShared(uint32_t id, uint64_t offset, std::span<const uint8_t> bytes) {
  auto arg = WithHeader<mint_shared_io>();
  arg.id = id;
  arg.write = 1;
  arg.offset = offset;
  arg.size = bytes.size();
  arg.data = reinterpret_cast<uintptr_t>(bytes.data());
  return Call(MINT_IOC_SHARED, &arg, "writing the node's shared sections");
}

}  // namespace mint
