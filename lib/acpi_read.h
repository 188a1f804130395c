// Reading ACPI tables from untrusted bytes: the verifier of a node's table set (a blob read back
// from a node's memory, or fuzz input). Every read goes through ByteReader (byte_reader.h) and
// never leaves the given bytes. The layouts are in acpi.h; acpi_build.h writes the tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "acpi.h"
#include "result.h"

namespace mint {

// One table of a set, as its header describes it.
struct AcpiTableInfo {
  std::string signature;  // 4 characters, as found
  uint64_t address = 0;
  uint32_t length = 0;
  uint8_t revision = 0;
};

// What a node would learn from a table set.
struct AcpiTableSummary {
  uint64_t rsdp_address = 0;
  uint8_t rsdp_revision = 0;
  bool has_xsdt = false;
  // The tables the root table lists, in its order, then the DSDT.
  std::vector<AcpiTableInfo> tables;
  uint32_t fadt_flags = 0;
  uint16_t iapc_boot_arch = 0;
  AcpiGenericAddress sleep_control{};  // zero when the FADT has none
  AcpiGenericAddress sleep_status{};
  uint32_t madt_flags = 0;
  uint32_t local_apic_address = 0;
  std::vector<uint32_t> enabled_apic_ids;  // local APIC and x2APIC entries, MADT order
  size_t io_apic_count = 0;
  std::vector<AcpiIoApic> io_apics;  // MADT order
  std::vector<AcpiEcamRange> ecam;   // the MCFG's allocations, if the root table lists one
};

// Checks a table set that lives at physical `base` (blob = its bytes) and is entered through
// the RSDP at `rsdp_address`: signatures, lengths, checksums, that every pointer lands inside
// the blob on a table of the expected kind, that RSDT and XSDT agree, that FADT.DSDT and
// FADT.X_DSDT agree, that MADT entries are well formed and no enabled APIC ID repeats. Needs
// exactly one FADT and one MADT. Never reads outside `blob`.
Result<AcpiTableSummary> VerifyAcpiTables(std::span<const uint8_t> blob, uint64_t base,
                                          uint64_t rsdp_address);

}  // namespace mint
