// Reading ACPI tables from untrusted bytes: the verifier of a node's table set (a blob read back
// from a node's memory, or fuzz input) and the walker of a MADT's interrupt controller
// structures, which the verifier and the inventory's parser of the firmware's MADT (inventory.h,
// ParseMadt) share. Every read goes through ByteReader (byte_reader.h) and never leaves the given
// bytes. The layouts are in acpi.h; acpi_build.h writes the tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "acpi.h"
#include "byte_reader.h"
#include "result.h"

namespace mint {

// ---------------------------------------------------------------------------------------------
// MADT interrupt controller structures (ACPI 6.3 section 5.2.12, Table 5-45).
// ---------------------------------------------------------------------------------------------

// One interrupt controller structure, as the walk found it.
struct MadtEntry {
  size_t offset = 0;               // from the start of the MADT
  uint8_t type = 0;                // kMadtType*
  std::span<const uint8_t> bytes;  // the whole structure (its own length), header included

  // The structure as one of the AcpiMadt* layouts; nullopt when it is shorter than that layout
  // (bytes past the structure's own length are never read).
  template <typename T>
  std::optional<T> As() const {
    return ByteReader(bytes).ReadAt<T>(0);
  }
};

// Why a walk stopped before the end of the table.
struct MadtFault {
  enum class Kind {
    kCutOff,     // fewer bytes left than a structure header (2)
    kBadLength,  // a structure whose length is below 2 or runs past the end of the table
  };
  Kind kind = Kind::kCutOff;
  size_t offset = 0;  // of the structure, from the start of the MADT
  uint8_t type = 0;   // kBadLength: the structure's type and length fields
  uint8_t length = 0;
};

// Walks the structures that follow a MADT's fixed part (AcpiMadt), one at a time:
//   MadtEntryReader entries(table);
//   while (auto entry = entries.Next()) { ... }
//   if (entries.fault()) { ... }
// Every structure it yields lies wholly inside the table. It checks only the structure headers;
// what each type must hold is the caller's policy.
class MadtEntryReader {
 public:
  // `table`: the whole MADT, header included, cut to the length its header gives (callers check
  // that length and the checksum first). A table shorter than the fixed part yields no
  // structures and a kCutOff fault at offset 0.
  explicit MadtEntryReader(std::span<const uint8_t> table);

  // The next structure; nullopt at the end of the table, or at a malformed structure: then
  // fault() says what was wrong, and the walk goes no further.
  std::optional<MadtEntry> Next();
  const std::optional<MadtFault>& fault() const { return fault_; }

 private:
  ByteReader reader_;
  std::optional<MadtFault> fault_;
};

// ---------------------------------------------------------------------------------------------
// A node's table set.
// ---------------------------------------------------------------------------------------------

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
