// Builds the two things a stock kernel reads first: its command line and its zero page.
// Pure functions from a plan to bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bzimage.h"
#include "layout.h"
#include "result.h"

namespace mint {

struct NodeCommandLine {
  std::string user;          // the plan's cmdline: the user's part
  std::string hostname;      // the node's name in the plan (the user's part may override it)
  uint64_t tsc_khz = 0;      // the host's TSC frequency: a node has no clock to calibrate with
  uint32_t cpus = 1;         // cores its MADT lists: its own, then those it may receive
  uint32_t own_cpus = 0;     // when fewer than `cpus`: the cores it starts at boot (maxcpus=)
  std::string console;       // "ttySn" or "shared"
  uint64_t status_page = 0;  // physical address, handed to the node's agent
  bool owns_pci = false;     // a node without PCI functions gets pci=off
  // It may receive memory while it runs (receive_memory): memhp_default_state=online_movable,
  // so the memory its module adds comes up movable and can be given back.
  bool receives_memory = false;
  // noapic: a kernel with MP-table support (Debian's i386 686) finds the firmware's MP table in
  // the shared BIOS area, which lists the host's IO-APIC, and would program it; noapic keeps it
  // off (it still reads the IO-APIC's ID and version registers once, when registering it).
  bool noapic = false;
  // The node's network links: "mint_link=0xPHYS,0xSIZE mint_net=ADDRESS/PREFIX"
  // (LinkCommandLine) and "mint_dlink=..." (DirectLinkCommandLine), either, both or empty.
  std::string link;
};

// The I/O port of a node's own legacy UART: ttyS1 0x2f8, ttyS2 0x3e8, ttyS3 0x2e8.
std::optional<uint16_t> LegacyUartPort(const std::string& console);

// Options Mint sets itself; a user line that sets one is refused rather than silently
// overridden, naming the option.
const std::vector<std::string>& ReservedCommandLineOptions();

// The full line: the user's options, then what every node must have (DESIGN.md, "What a
// stock node needs"). Refuses a line that does not fit the kernel's cmdline_size (counting
// its terminating NUL).
Result<std::string> BuildCommandLine(const NodeCommandLine& options, uint32_t cmdline_size);

struct BootParamsInput {
  uint64_t cmdline_addr = 0;
  uint32_t cmdline_length = 0;  // without the NUL
  uint64_t rsdp_addr = 0;
  // The kernel is entered at startup_64, its decompressor skipped: nothing will set the KASLR
  // flag (the decompressor's report that it randomized the kernel), so it must be clear.
  bool direct_entry = false;
};

// The zero page: the image's own setup header, then what the loader fills in (boot.rst,
// "Details of Header Fields" and "The 32-bit Boot Protocol").
Result<std::vector<uint8_t>> BuildBootParams(const KernelImage& kernel, const NodeLayout& layout,
                                             const BootParamsInput& input);

}  // namespace mint
