// Synthetic ACPI tables for one node: the write step for the tables a node boots with.
//
// A stock Linux node learns what hardware it has from its ACPI tables, so Mint hands every node
// a table set made for it alone (DESIGN.md, "What a stock node needs"):
//   RSDP -> RSDT and XSDT -> FADT (hardware-reduced, physical APIC destination mode, no VGA,
//   no CMOS RTC) -> DSDT (empty unless AML is given); MADT with only the node's local APICs
//   and no IO-APIC (unless the node owns one outright); an MCFG when the node owns PCI buses.
// Hardware-reduced mode makes the node skip the PIC, PIT, HPET, SCI, GPEs, PM timer, i8042 and
// RTC; physical destination mode keeps it from sharing a logical APIC ID with the host.
// The layouts are in acpi.h; acpi_read.h checks what this writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "acpi.h"
#include "aml.h"
#include "result.h"

namespace mint {

// What one node's table set depends on.
struct AcpiNodeConfig {
  // Physical address the loader places the blob at. 16-byte aligned (the RSDP's alignment,
  // ACPI 6.3 section 5.2.5.1) and, since the RSDT and the FADT's DSDT field hold 32-bit
  // pointers, the whole blob must lie below 4 GiB.
  uint64_t base = 0;
  // The node's local APIC IDs (xAPIC, at most kMaxXapicId); the first is the boot core. Entry
  // i of the MADT gets ACPI processor UID i.
  std::vector<uint32_t> apic_ids;
  // An APIC ID that is not the node's (the machine's BSP when it can be), listed before the
  // node's own: disabled but online-capable, UID apic_ids.size(). Linux 6.12's
  // check_for_real_bsp() (arch/x86/kernel/cpu/topology.c) takes a boot CPU that is the first
  // APIC listed but lacks the BSP bit in IA32_APIC_BASE for a kdump kernel's and limits the
  // whole kernel to one CPU; a node's boot core never has that bit. With another APIC first,
  // it takes that one for the real BSP, registers it as rejected (never started) and keeps
  // the node's cores. 6.1 counts it as a disabled CPU: possible, never present, never started.
  // nullopt: not listed.
  std::optional<uint32_t> foreign_first_apic_id;
  // Written into every header (RSDP included); padded with spaces to 6 and 8 characters.
  std::string oem_id = "MINT";
  std::string oem_table_id = "MINTNODE";
  uint32_t oem_revision = 1;
  // Suspend to RAM (issue 11): the physical address of the node's sleep control byte, a byte
  // the host watches (MINT_STATUS_SLEEP_CONTROL in the node's status page), or 0 for none.
  // The FADT's SLEEP_CONTROL_REG points at it (SystemMemory, 8 bits, byte access); its
  // SLEEP_STATUS_REG at the next byte with bit width 0 and bit offset 8, so that ACPICA never
  // touches memory for WAK_STS (docs/suspend.md says why). The DSDT's _S0/_S3/_S5 packages
  // come with it (SleepStatesAml): the node then writes 0x34 to enter S3, 0x3c for S5 and
  // 0x20 right after it resumed.
  uint64_t sleep_control = 0;
  // AML placed after the DSDT header: a TermList (ACPI 6.3 section 20.2.1), e.g. devices or an
  // _S3 package. Empty gives an empty but valid definition block. Not checked here beyond its
  // size; compile it with a tool that checks it.
  std::vector<uint8_t> dsdt_aml;
  // PCI configuration space the node may use through ECAM (only the buses of its own root
  // bridges). Empty: no MCFG table at all, as for a node without PCI.
  std::vector<AcpiEcamRange> ecam;
  // IO-APICs the node owns, listed in its MADT. Empty for most nodes: their devices use MSI.
  std::vector<AcpiIoApic> io_apics;
};

// Where one table lies in the blob.
struct AcpiBlobRange {
  size_t offset = 0;
  size_t size = 0;
};

// A node's table set as the loader copies it: `blob` goes to `base` unchanged.
struct AcpiTables {
  std::vector<uint8_t> blob;
  uint64_t base = 0;
  uint64_t rsdp_address = 0;  // base + rsdp.offset: what boot_params.acpi_rsdp_addr gets
  AcpiBlobRange rsdp;
  AcpiBlobRange rsdt;
  AcpiBlobRange xsdt;
  AcpiBlobRange fadt;
  AcpiBlobRange madt;
  AcpiBlobRange mcfg;  // size 0 when the node has no ECAM ranges
  AcpiBlobRange dsdt;
};

// Builds the table set for one node; refuses a config a stock kernel could not use, naming the
// offending value. The loader should mark [base, base + blob.size()) as ACPI data (e820 type 3)
// or reserved in the node's memory map so the node does not reuse it before parsing it.
Result<AcpiTables> BuildAcpiTables(const AcpiNodeConfig& config);

// The DSDT objects a node that may suspend needs: Name(_S0, Package(){0, 0}),
// Name(_S3, Package(){5, 5}), Name(_S5, Package(){7, 7}). The values are the SLP_TYP the node
// writes to its sleep control register (bits 2-4, with SLP_EN, bit 5).
std::vector<aml::Term> SleepStates();
std::vector<uint8_t> SleepStatesAml();  // SleepStates(), encoded
inline constexpr uint8_t kSleepEnable = 0x20;
inline constexpr uint8_t kSleepTypeS3 = 5;
inline constexpr uint8_t kSleepTypeS5 = 7;

}  // namespace mint
