// The rules a plan must satisfy from its file alone (docs/plan.md, "What mint check
// verifies"), each problem reported at its line with the values involved. Rules that need the
// kernel images or the machine are in plan_check.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plan.h"

namespace mint {

// An x86_64 node keeps this much below 4 GiB for 32-bit DMA bounce buffers (swiotlb's default
// 64 MiB), unless its plan says `dma32 = false`.
inline constexpr uint64_t kMinDma32 = uint64_t{64} << 20;
// Debian's i386 kernel (linux-image-686) is non-PAE with the default 3G/1G split: its lowmem,
// the memory it maps directly, ends at 896 MiB, and it cannot see memory above 4 GiB at all.
inline constexpr uint64_t kI386LowmemEnd = 0x38000000;

// Rules on one value, which the parser applies as it reads the key (plan_parse.cc): a value
// that breaks its rule stays out of the plan. Each says what is wrong, or "" when nothing is.
std::string NodeNameProblem(std::string_view name);
std::string ArchProblem(std::string_view arch);
std::string ApicIdProblem(int64_t apic_id);
std::string MemoryRangeProblem(std::string_view text, const PhysRange& range);
std::string MemorySizeProblem(std::string_view text, uint64_t size);
std::string ConsoleProblem(std::string_view console);
std::string IoApicProblem(std::optional<int64_t> id);  // nullopt: not an integer
// Between a node's keys, read in table order: virtio_mmio transports need the node's io_apic.
std::string VirtioMmioProblem(const NodePlan& node);

// The low window can hold the trampoline and slices: below 1 MiB, 4 KiB aligned, large
// enough for the trampoline.
bool LowWindowUsable(const PhysRange& window);

// Whole-plan rules on fixed values, before placement: the low window, reserved ranges and the
// store; every node's name, console, cores, PCI functions, IO-APIC and virtio-mmio transports
// its own; its memory inside what the host reserved and nobody else's; its low slice inside
// the window, aligned, large enough and nobody else's.
void CheckPlanRules(const Plan& plan, const PlanLines& lines, std::vector<PlanProblem>& problems);

// Memory rules of an architecture: an i386 node's memory below kI386LowmemEnd; an x86_64
// node with kMinDma32 below 4 GiB unless it opts out. Problems go to `line`.
void CheckArchMemory(const NodePlan& node, std::string_view arch, int line,
                     std::vector<PlanProblem>& problems);

}  // namespace mint
