// The kernel's ELF vmlinux for direct entry (lib/decompress.h, lib/elf.h), and where it comes
// from: the resident store keeps it beside the bzImage it was unpacked from, as an entry of its
// own whose source path is "vmlinux-of:<SHA-256 of the bzImage>" (so it is found by the image's
// hash, checked by XXH64 on every use, evicted like any image); without a store, or when the
// store lacks it, it is unpacked now (and placed in the store when there is one).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bzimage.h"
#include "elf.h"
#include "images.h"
#include "result.h"
#include "store.h"

namespace mint {

class StoreSession;

struct DirectKernelBytes {
  ImageBytes elf;  // a view of the store (locked while it lives), or unpacked here
  KernelElf parsed;
  bool from_store = false;
  double ms = 0;  // host time to get it: store copy + check, or decompression
};

// The store's source path of the kernel unpacked from the bzImage with this SHA-256.
std::string DerivedKernelPath(const Sha256Digest& bzimage_sha);

// Unpacks and validates the ELF inside `bzimage`.
Result<DirectKernelBytes> UnpackKernel(std::span<const uint8_t> bzimage, const KernelImage& image);

// The ELF for `bzimage` (read from `path`): from the store when it holds it, else unpacked
// (and then placed in the store, when there is one).
Result<DirectKernelBytes> LoadDirectKernel(const std::string& path,
                                           std::span<const uint8_t> bzimage,
                                           const KernelImage& image, StoreSession* store);

// Places the unpacked kernel of a stored x86_64 bzImage beside it (mint store add). Returns
// false, doing nothing, for images that are not x86_64 bzImages or whose kernel is there.
Result<bool> AddDerivedKernel(ResidentStore& store, std::span<const uint8_t> bzimage,
                              const Sha256Digest& bzimage_sha);

}  // namespace mint

namespace mint {

// --entry: how a node's kernel is entered. kAuto: direct for x86_64 kernels whose unpacked
// kernel the store already holds (mint store add puts it there), through the decompressor
// otherwise: unpacking on the host at boot costs more than the node saves (docs/trampoline.md).
enum class EntryMode { kAuto, kDecompress, kDirect };
Result<EntryMode> ParseEntryMode(const std::string& text);
// Whether a node with this kernel is entered directly under `mode`.
bool UseDirectEntry(EntryMode mode, const KernelImage& image, bool unpacked_in_store);
// Whether the store holds the bzImage at `path` and its unpacked kernel (looked up, not hashed).
bool StoreHasUnpackedKernel(StoreSession* store, const std::string& path,
                            std::span<const uint8_t> bzimage, const KernelImage& image);

// A seed for NodeInputs::kaslr_seed from the kernel's random pool (getrandom).
uint64_t KaslrSeed();

}  // namespace mint
