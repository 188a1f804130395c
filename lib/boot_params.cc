#include "boot_params.h"
#include "format.h"

#include <cstring>
#include <sstream>

namespace mint {
namespace {

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  std::string word;
  while (in >> word) words.push_back(word);
  return words;
}

}  // namespace

std::optional<uint16_t> LegacyUartPort(const std::string& console) {
  // The PC's standard COM port addresses (ttyS0..ttyS3 = COM1..COM4); ttyS0 is the host's.
  if (console == "ttyS1") return 0x2f8;
  if (console == "ttyS2") return 0x3e8;
  if (console == "ttyS3") return 0x2e8;
  return std::nullopt;
}

const std::vector<std::string>& ReservedCommandLineOptions() {
  static const std::vector<std::string> kReserved = {"tsc_early_khz",
                                                     "nr_cpus",
                                                     "maxcpus",
                                                     "possible_cpus",
                                                     "pci",
                                                     "panic",
                                                     "mint_status",
                                                     "8250.nr_uarts",
                                                     "earlyprintk",
                                                     "acpi",
                                                     "memmap",
                                                     "acpi_rsdp",
                                                     "no_ipi_broadcast",
                                                     "mint_link",
                                                     "mint_net",
                                                     "mint_dlink",
                                                     "mint_root",
                                                     "memhp_default_state"};
  return kReserved;
}

Result<std::string> BuildCommandLine(const NodeCommandLine& options, uint32_t cmdline_size) {
  if (options.tsc_khz == 0)
    return Fail("the host's TSC frequency is unknown: a node needs tsc_early_khz");
  if (options.cpus == 0) return Fail("a node needs at least one core");
  for (const std::string& word : Split(options.user)) {
    std::string key = word.substr(0, word.find('='));
    for (const std::string& reserved : ReservedCommandLineOptions()) {
      if (key == reserved)
        return Fail("cmdline option '", word, "' is one Mint sets itself (", reserved,
                    " comes from the plan and the host); remove it from the node's cmdline");
    }
  }
  std::ostringstream line;
  // The node's kernel takes its plan's name as its hostname (an early parameter since Linux
  // 5.19), so a shell prompt or `hostname` in a node says which node it is. First, so that a
  // hostname= in the user's part, parsed later, wins.
  if (!options.hostname.empty()) line << "hostname=" << options.hostname << ' ';
  if (!options.user.empty()) line << options.user << ' ';
  line << "tsc_early_khz=" << options.tsc_khz << " nr_cpus=" << options.cpus;
  // Cores it may receive later are present but left offline until the host gives them
  // (docs/cores.md): the kernel starts only its own.
  if (options.own_cpus != 0 && options.own_cpus < options.cpus)
    line << " maxcpus=" << options.own_cpus;
  // Memory added at run time (docs/memory-handover.md) is onlined movable: only movable memory
  // can be emptied and given back. A module cannot choose the zone itself.
  if (options.receives_memory) line << " memhp_default_state=online_movable";
  // A node that owns PCI functions finds them through its DSDT and MCFG (ECAM only, in a
  // segment of its own); pci=noearly keeps it off the host's CF8/CFC ports at early boot.
  line << (options.owns_pci ? " pci=noearly" : " pci=off");
  if (options.noapic) line << " noapic";
  // panic=0: wait forever; a panic timeout would reset the whole machine.
  line << " panic=0";
  // No IPI shorthands: with every core online a kernel sends "all but self" IPIs, which on a
  // shared machine reach the host's and the other nodes' cores (a panic's stop IPI would stop
  // them all). Masks name the node's own APIC IDs only.
  line << " no_ipi_broadcast=1";
  // A node never probes the legacy UARTs: COM1 is the host's. Its own UART is driven through
  // earlyprintk alone, which writes without interrupts.
  line << " 8250.nr_uarts=0";
  if (options.console != "shared") {
    // By I/O port, not by name: x86 earlyprintk knows only ttyS0 and ttyS1 by name and
    // silently takes any other ttySn as ttyS0, the host's console.
    auto port = LegacyUartPort(options.console);
    if (!port) return Fail("console '", options.console, "' is not ttyS1, ttyS2 or ttyS3");
    line << " earlyprintk=serial," << Hex(*port) << ",115200,keep";
  }
  line << " mint_status=" << Hex(options.status_page);
  if (!options.link.empty()) line << ' ' << options.link;
  std::string text = line.str();
  if (text.size() + 1 > cmdline_size)
    return Fail("the node's command line is ", std::to_string(text.size() + 1),
                " bytes with its NUL, more than the kernel's cmdline_size of ",
                std::to_string(cmdline_size), "; shorten the plan's cmdline");
  return text;
}

Result<std::vector<uint8_t>> BuildBootParams(const KernelImage& kernel, const NodeLayout& layout,
                                             const BootParamsInput& input) {
  BootParams params;
  std::memset(&params, 0, sizeof(params));
  // The image's setup header, as long as the image says it is.
  if (kernel.header_bytes.size() > sizeof(BootParams) - offsetof(BootParams, hdr))
    return Fail("setup header of ", std::to_string(kernel.header_bytes.size()),
                " bytes does not fit the zero page");
  std::memcpy(reinterpret_cast<uint8_t*>(&params) + offsetof(BootParams, hdr),
              kernel.header_bytes.data(), kernel.header_bytes.size());

  SetupHeader& hdr = params.hdr;
  hdr.type_of_loader = kLoaderUndefined;
  // LOADED_HIGH: the protected-mode code sits above 1 MiB. No heap (that is for real-mode
  // setup code, which a node never runs), and KASLR left to the kernel's own choice.
  hdr.loadflags = static_cast<uint8_t>((hdr.loadflags | kLoadedHigh) & ~kCanUseHeap);
  if (input.direct_entry) hdr.loadflags = static_cast<uint8_t>(hdr.loadflags & ~kKaslrFlag);
  hdr.code32_start = static_cast<uint32_t>(layout.kernel);
  if (input.cmdline_length + 1 > hdr.cmdline_size)
    return Fail("command line of ", std::to_string(input.cmdline_length),
                " bytes does not fit cmdline_size ", std::to_string(hdr.cmdline_size));
  hdr.cmd_line_ptr = static_cast<uint32_t>(input.cmdline_addr);
  params.ext_cmd_line_ptr = static_cast<uint32_t>(input.cmdline_addr >> 32);
  hdr.ramdisk_image = static_cast<uint32_t>(layout.initrd);
  hdr.ramdisk_size = static_cast<uint32_t>(layout.initrd_size);
  params.ext_ramdisk_image = static_cast<uint32_t>(layout.initrd >> 32);
  params.ext_ramdisk_size = static_cast<uint32_t>(layout.initrd_size >> 32);
  if (layout.initrd + layout.initrd_size > uint64_t{hdr.initrd_addr_max} + 1 &&
      !(hdr.xloadflags & kXlfCanBeLoadedAbove4G))
    return Fail("initrd at ", Hex(layout.initrd), " ends above initrd_addr_max ",
                Hex(hdr.initrd_addr_max));
  params.acpi_rsdp_addr = input.rsdp_addr;

  if (layout.e820.size() > kE820MaxEntries)
    return Fail("e820 map of ", std::to_string(layout.e820.size()), " entries does not fit");
  params.e820_entries = static_cast<uint8_t>(layout.e820.size());
  std::memcpy(params.e820_table, layout.e820.data(), layout.e820.size() * sizeof(E820Entry));

  std::vector<uint8_t> bytes(sizeof(params));
  std::memcpy(bytes.data(), &params, sizeof(params));
  return bytes;
}

}  // namespace mint
