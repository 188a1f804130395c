// The node module a node boots with (issue 20, docs/kernels.md). A node without a working
// mint_node.ko cannot be parked: its reboot, halt or panic resets the whole machine. So before
// a node boots, Mint finds the mint_node.ko it will load (the one `node_module` names, else the
// one in its initramfs), reads the kernel release that module was built for (its vermagic) and
// refuses the node when that is not the kernel's own release, unless the plan says
// `node_module = "none"`. Pure: bytes in, answers out.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "plan.h"
#include "result.h"

namespace mint {

// Where the node's init looks for the module (guest/node/init).
inline constexpr std::string_view kNodeModulePath = "lib/mint/mint_node.ko";
// The plan's word for booting a node without the module.
inline constexpr std::string_view kNoNodeModule = "none";

// A plan's kernel = "debian:SPEC" names a kernel in the kernel cache: CACHE/kernels/SPEC holds
// its vmlinuz and the mint_node.ko built for it (scripts/node-kernel, `mint kernel fetch`).
inline constexpr std::string_view kDebianKernelPrefix = "debian:";
// The kernel cache: $MINT_KERNEL_CACHE, else /var/cache/mint.
std::string KernelCacheDir();

// A kernel module's vermagic (its .modinfo "vermagic=" entry): "6.1.0-57-cloud-amd64 SMP
// preempt mod_unload modversions ". Reads 32- and 64-bit ELF (an i386 node's module is ELF32).
Result<std::string> ModuleVermagic(std::span<const uint8_t> ko);

// The kernel release a version string or a vermagic starts with (its first word).
std::string KernelRelease(std::string_view version);

// A file of an initramfs as the kernel would see it: the initramfs is a series of cpio
// archives, each uncompressed or gzip-compressed, and a later copy of a path replaces an
// earlier one. nullopt when no archive holds `path`. Other compressions are reported as such.
// Unpacking stops at max_unpacked bytes (the initramfs comes from the plan's files).
Result<std::optional<std::vector<uint8_t>>> FindInInitramfs(std::span<const uint8_t> initrd,
                                                            std::string_view path,
                                                            uint64_t max_unpacked = uint64_t{1}
                                                                                    << 30);

// `initrd` with one more archive after it holding `path` (and its directories): the kernel
// unpacks it last, so the file replaces any earlier one. Padded so the archive starts on the
// 4-byte boundary the kernel's unpacker expects.
Result<std::vector<uint8_t>> AppendToInitramfs(std::span<const uint8_t> initrd,
                                               std::string_view path,
                                               std::span<const uint8_t> data);

// What the checks learned about a node's module.
struct NodeModuleFacts {
  std::string kernel_release;  // from the kernel image's version string
  std::string vermagic;        // empty: no module found
  std::string from;            // where the module was looked for or found, for messages
};

// The refusal, in one place for `mint check` and every boot path: empty when the node may
// boot (its module matches its kernel, or the plan said node_module = "none").
std::string NodeModuleProblem(const NodePlan& node, const NodeModuleFacts& facts);

}  // namespace mint
