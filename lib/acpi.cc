#include "acpi.h"
#include "aml.h"
#include "format.h"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <string_view>

#include "boot_protocol.h"
#include "byte_reader.h"

namespace mint {
namespace {

// Tables are placed 16-byte aligned: the RSDP needs it (ACPI 6.3 section 5.2.5.1), the other
// tables only need 8 (section 5.2.6) and 16 keeps their addresses easy to read in a dump.
constexpr uint64_t kTableAlignment = 16;
constexpr char kRsdpSignature[8] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
constexpr char kCreatorId[4] = {'M', 'I', 'N', 'T'};
constexpr uint32_t kCreatorRevision = 1;

std::string Dec(uint64_t value) {
  return std::to_string(value);
}

// OEM fields are fixed-width, space-padded ASCII; anything else shows up as garbage in every
// tool that prints them.
Result<void> CheckIdentifier(std::string_view field, const std::string& value, size_t width) {
  if (value.empty() || value.size() > width) {
    return Fail("ACPI tables: ", field, " \"", value, "\" must be 1 to ", Dec(width),
                " characters long");
  }
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) {
      return Fail("ACPI tables: ", field, " \"", value, "\" must be printable ASCII (found byte ",
                  Hex(static_cast<uint8_t>(c)), ")");
    }
  }
  return Ok{};
}

Result<void> CheckConfig(const AcpiNodeConfig& config) {
  MINT_TRY_VOID(CheckIdentifier("oem_id", config.oem_id, sizeof(AcpiSdtHeader::oem_id)));
  MINT_TRY_VOID(
      CheckIdentifier("oem_table_id", config.oem_table_id, sizeof(AcpiSdtHeader::oem_table_id)));
  if (config.base == 0) {
    return Fail(
        "ACPI tables: base 0x0 is not usable: Linux reads an RSDP address of 0 as "
        "\"none given\"; place the tables inside the node's memory");
  }
  if (config.base % kTableAlignment != 0) {
    return Fail("ACPI tables: base ", Hex(config.base), " is not ", Dec(kTableAlignment),
                "-byte aligned (the RSDP must be); use ",
                Hex(AlignDown(config.base, kTableAlignment)), " or ",
                Hex(AlignDown(config.base, kTableAlignment) + kTableAlignment));
  }
  if (config.apic_ids.empty()) {
    return Fail("ACPI tables: the node has no APIC IDs; it needs at least its boot core");
  }
  std::set<uint32_t> seen;
  for (size_t i = 0; i < config.apic_ids.size(); ++i) {
    uint32_t id = config.apic_ids[i];
    if (id > kMaxXapicId) {
      return Fail("ACPI tables: APIC ID ", Dec(id), " (cpus[", Dec(i), "]) is above ",
                  Dec(kMaxXapicId),
                  ": xAPIC IDs are 8 bits and 255 is the broadcast ID; x2APIC entries are not "
                  "supported yet");
    }
    if (!seen.insert(id).second) {
      return Fail("ACPI tables: APIC ID ", Dec(id), " is listed twice (cpus[", Dec(i),
                  "] repeats an earlier entry)");
    }
  }
  for (size_t i = 0; i < config.ecam.size(); ++i) {
    const AcpiEcamRange& ecam = config.ecam[i];
    if (ecam.start_bus > ecam.end_bus) {
      return Fail("ACPI tables: ECAM range ", Dec(i), " (segment ", Dec(ecam.segment),
                  ") has buses ", Dec(ecam.start_bus), "-", Dec(ecam.end_bus),
                  ", which end before they start");
    }
    // Each bus has 1 MiB of configuration space (PCI Express Base Specification 7.2.2).
    if (ecam.base % (uint64_t{1} << 20) != 0 ||
        !CheckedAdd(ecam.base, (uint64_t{ecam.end_bus} + 1) << 20)) {
      return Fail("ACPI tables: ECAM base ", Hex(ecam.base), " (segment ", Dec(ecam.segment),
                  ") must be 1 MiB aligned and leave room for bus ", Dec(ecam.end_bus));
    }
  }
  std::set<uint8_t> io_apic_ids;
  for (const AcpiIoApic& io_apic : config.io_apics) {
    if (!io_apic_ids.insert(io_apic.id).second) {
      return Fail("ACPI tables: IO-APIC ID ", Dec(io_apic.id), " is listed twice");
    }
    if (io_apic.address == 0 || io_apic.address % 0x1000 != 0) {
      return Fail("ACPI tables: IO-APIC ", Dec(io_apic.id), " at ", Hex(io_apic.address),
                  " needs a nonzero, 4 KiB aligned register address");
    }
  }
  return Ok{};
}

void CopyPadded(char* field, size_t width, const std::string& value) {
  std::fill_n(field, width, ' ');
  std::copy_n(value.begin(), std::min(width, value.size()), field);
}

AcpiSdtHeader MakeHeader(const char (&signature)[5], size_t length, uint8_t revision,
                         const AcpiNodeConfig& config) {
  AcpiSdtHeader header{};
  std::memcpy(header.signature, signature, sizeof(header.signature));
  header.length = static_cast<uint32_t>(length);  // bounded by the 4 GiB check in the caller
  header.revision = revision;
  CopyPadded(header.oem_id, sizeof(header.oem_id), config.oem_id);
  CopyPadded(header.oem_table_id, sizeof(header.oem_table_id), config.oem_table_id);
  header.oem_revision = config.oem_revision;
  std::memcpy(header.creator_id, kCreatorId, sizeof(header.creator_id));
  header.creator_revision = kCreatorRevision;
  return header;
}

template <typename T>
void Store(std::vector<uint8_t>& blob, size_t offset, const T& value) {
  std::memcpy(blob.data() + offset, &value, sizeof(T));
}

// Sets the byte at `checksum_offset` inside `range` so that the range sums to zero.
void SetChecksum(std::vector<uint8_t>& blob, AcpiBlobRange range, size_t checksum_offset,
                 size_t covered) {
  uint8_t& checksum = blob[range.offset + checksum_offset];
  checksum = 0;
  checksum = static_cast<uint8_t>(
      0x100 - AcpiByteSum(std::span<const uint8_t>(blob).subspan(range.offset, covered)));
}

}  // namespace

uint8_t AcpiByteSum(std::span<const uint8_t> bytes) {
  uint8_t sum = 0;
  for (uint8_t byte : bytes) {
    sum = static_cast<uint8_t>(sum + byte);
  }
  return sum;
}

Result<AcpiTables> BuildAcpiTables(const AcpiNodeConfig& config) {
  MINT_TRY_VOID(CheckConfig(config));

  // Layout: RSDP, RSDT, XSDT, FADT, MADT, MCFG (if any), then the DSDT last because its AML
  // may grow.
  const size_t cpus = config.apic_ids.size();
  const size_t io_apics = config.io_apics.size();
  const bool has_mcfg = !config.ecam.empty();
  const size_t root_entries = has_mcfg ? 3 : 2;
  AcpiTables tables;
  tables.base = config.base;
  uint64_t cursor = 0;
  auto place = [&cursor](AcpiBlobRange& range, uint64_t size) {
    cursor = *AlignUp(cursor, kTableAlignment);  // cursor stays far below 2^64 here
    range.offset = cursor;
    range.size = size;
    cursor += size;
  };
  place(tables.rsdp, sizeof(AcpiRsdp));
  place(tables.rsdt, sizeof(AcpiSdtHeader) + root_entries * sizeof(uint32_t));
  place(tables.xsdt, sizeof(AcpiSdtHeader) + root_entries * sizeof(uint64_t));
  place(tables.fadt, sizeof(AcpiFadt));
  place(tables.madt,
        sizeof(AcpiMadt) + cpus * sizeof(AcpiMadtLocalApic) + io_apics * sizeof(AcpiMadtIoApic));
  if (has_mcfg) {
    place(tables.mcfg, sizeof(AcpiMcfg) + config.ecam.size() * sizeof(AcpiMcfgAllocation));
  }
  place(tables.dsdt, sizeof(AcpiSdtHeader) + config.dsdt_aml.size());
  const uint64_t total = cursor;
  auto end = CheckedAdd(config.base, total);
  if (!end || *end > k4GiB) {
    return Fail("ACPI tables: base ", Hex(config.base), " + ", Hex(total),
                " bytes of tables ends above 4 GiB, but the RSDT and the FADT's DSDT field "
                "hold 32-bit addresses; place the tables below ",
                Hex(k4GiB > total ? k4GiB - total : 0));
  }
  tables.rsdp_address = config.base + tables.rsdp.offset;
  tables.blob.assign(total, 0);
  auto address = [&config](const AcpiBlobRange& range) { return config.base + range.offset; };

  // RSDP, ACPI 6.3 section 5.2.5.3.
  AcpiRsdp rsdp{};
  std::memcpy(rsdp.signature, kRsdpSignature, sizeof(rsdp.signature));
  CopyPadded(rsdp.oem_id, sizeof(rsdp.oem_id), config.oem_id);
  rsdp.revision = kRsdpRevision;
  rsdp.rsdt_address = static_cast<uint32_t>(address(tables.rsdt));
  rsdp.length = sizeof(AcpiRsdp);
  rsdp.xsdt_address = address(tables.xsdt);
  Store(tables.blob, tables.rsdp.offset, rsdp);
  SetChecksum(tables.blob, tables.rsdp, offsetof(AcpiRsdp, checksum), kAcpiRsdpV1Length);
  SetChecksum(tables.blob, tables.rsdp, offsetof(AcpiRsdp, extended_checksum), sizeof(AcpiRsdp));

  // RSDT and XSDT, sections 5.2.7 and 5.2.8: the same tables, 32- and 64-bit pointers.
  std::vector<const AcpiBlobRange*> listed = {&tables.fadt, &tables.madt};
  if (has_mcfg) {
    listed.push_back(&tables.mcfg);
  }
  Store(tables.blob, tables.rsdt.offset,
        MakeHeader("RSDT", tables.rsdt.size, kRsdtRevision, config));
  Store(tables.blob, tables.xsdt.offset,
        MakeHeader("XSDT", tables.xsdt.size, kXsdtRevision, config));
  for (size_t i = 0; i < listed.size(); ++i) {
    Store(tables.blob, tables.rsdt.offset + sizeof(AcpiSdtHeader) + i * sizeof(uint32_t),
          static_cast<uint32_t>(address(*listed[i])));
    Store(tables.blob, tables.xsdt.offset + sizeof(AcpiSdtHeader) + i * sizeof(uint64_t),
          address(*listed[i]));
  }

  // FADT, section 5.2.9: hardware-reduced, so no PM timer, SCI, GPE blocks or FACS; every field
  // not set here stays zero.
  AcpiFadt fadt{};
  fadt.header = MakeHeader("FACP", sizeof(AcpiFadt), kFadtRevision, config);
  fadt.dsdt = static_cast<uint32_t>(address(tables.dsdt));
  fadt.x_dsdt = address(tables.dsdt);
  fadt.iapc_boot_arch = kFadtBootArchVgaNotPresent | kFadtBootArchCmosRtcNotPresent;
  fadt.flags = kFadtHwReducedAcpi | kFadtForceApicPhysicalDestinationMode;
  fadt.fadt_minor_version = kFadtMinorVersion;
  if (config.sleep_control != 0) {
    fadt.sleep_control_reg = {kAcpiSpaceSystemMemory, 8, 0, kAcpiAccessByte, config.sleep_control};
    fadt.sleep_status_reg = {kAcpiSpaceSystemMemory, 0, 8, kAcpiAccessByte,
                             config.sleep_control + 1};
  }
  Store(tables.blob, tables.fadt.offset, fadt);

  // MADT, section 5.2.12: the node's local APICs, no 8259 (flags 0), and no IO-APIC unless the
  // node owns one outright.
  AcpiMadt madt{};
  madt.header = MakeHeader("APIC", tables.madt.size, kMadtRevision, config);
  madt.local_apic_address = kLocalApicAddress;
  madt.flags = 0;
  Store(tables.blob, tables.madt.offset, madt);
  for (size_t i = 0; i < cpus; ++i) {
    AcpiMadtLocalApic entry{};
    entry.header.type = kMadtTypeLocalApic;
    entry.header.length = sizeof(AcpiMadtLocalApic);
    entry.acpi_processor_uid = static_cast<uint8_t>(i);  // < 255: IDs are unique and <= 254
    entry.apic_id = static_cast<uint8_t>(config.apic_ids[i]);
    entry.flags = kMadtLocalApicEnabled;
    Store(tables.blob, tables.madt.offset + sizeof(AcpiMadt) + i * sizeof(AcpiMadtLocalApic),
          entry);
  }

  // IO-APICs the node owns, after its local APICs (section 5.2.12.3).
  for (size_t i = 0; i < io_apics; ++i) {
    AcpiMadtIoApic entry{};
    entry.header.type = kMadtTypeIoApic;
    entry.header.length = sizeof(AcpiMadtIoApic);
    entry.io_apic_id = config.io_apics[i].id;
    entry.io_apic_address = config.io_apics[i].address;
    entry.global_system_interrupt_base = config.io_apics[i].gsi_base;
    Store(tables.blob,
          tables.madt.offset + sizeof(AcpiMadt) + cpus * sizeof(AcpiMadtLocalApic) +
              i * sizeof(AcpiMadtIoApic),
          entry);
  }

  // MCFG, PCI Firmware Specification 3.2 section 4.1.2: only the node's own buses.
  if (has_mcfg) {
    AcpiMcfg mcfg{};
    mcfg.header = MakeHeader("MCFG", tables.mcfg.size, kMcfgRevision, config);
    Store(tables.blob, tables.mcfg.offset, mcfg);
    for (size_t i = 0; i < config.ecam.size(); ++i) {
      AcpiMcfgAllocation allocation{};
      allocation.base_address = config.ecam[i].base;
      allocation.segment = config.ecam[i].segment;
      allocation.start_bus = config.ecam[i].start_bus;
      allocation.end_bus = config.ecam[i].end_bus;
      Store(tables.blob, tables.mcfg.offset + sizeof(AcpiMcfg) + i * sizeof(AcpiMcfgAllocation),
            allocation);
    }
  }

  // DSDT, section 5.2.11.1: a definition block; its AML (if any) follows the header.
  Store(tables.blob, tables.dsdt.offset,
        MakeHeader("DSDT", tables.dsdt.size, kDsdtRevision, config));
  std::copy(
      config.dsdt_aml.begin(), config.dsdt_aml.end(),
      tables.blob.begin() + static_cast<ptrdiff_t>(tables.dsdt.offset + sizeof(AcpiSdtHeader)));

  for (const AcpiBlobRange* range :
       {&tables.rsdt, &tables.xsdt, &tables.fadt, &tables.madt, &tables.mcfg, &tables.dsdt}) {
    if (range->size == 0) {
      continue;  // no MCFG
    }
    SetChecksum(tables.blob, *range, offsetof(AcpiSdtHeader, checksum), range->size);
  }
  return tables;
}

// ---------------------------------------------------------------------------------------------
// Verifier.
// ---------------------------------------------------------------------------------------------
namespace {

class TableSetReader {
 public:
  TableSetReader(std::span<const uint8_t> blob, uint64_t base) : reader_(blob), base_(base) {}

  // The blob offset of `length` bytes at physical `address`, or nullopt when any of them lies
  // outside the blob.
  std::optional<size_t> OffsetOf(uint64_t address, uint64_t length) const {
    if (address < base_) {
      return std::nullopt;
    }
    uint64_t offset = address - base_;
    if (offset > reader_.size() || reader_.size() - offset < length) {
      return std::nullopt;
    }
    return static_cast<size_t>(offset);
  }

  // Reads and checks the table at `address`: inside the blob, length at least a header, the
  // expected signature (when one is given), checksum zero.
  Result<AcpiTableInfo> Table(uint64_t address, std::string_view what,
                              std::string_view expected_signature) const {
    auto offset = OffsetOf(address, sizeof(AcpiSdtHeader));
    if (!offset) {
      return Fail("ACPI: ", what, " at ", Hex(address), " is not inside the tables (", Hex(base_),
                  "-", Hex(base_ + reader_.size()), ")");
    }
    auto header = *reader_.ReadAt<AcpiSdtHeader>(*offset);
    AcpiTableInfo info;
    info.signature.assign(header.signature, sizeof(header.signature));
    info.address = address;
    info.length = header.length;
    info.revision = header.revision;
    if (!expected_signature.empty() && info.signature != expected_signature) {
      return Fail("ACPI: ", what, " at ", Hex(address), " has signature \"",
                  Printable(info.signature), "\", expected \"", expected_signature, "\"");
    }
    if (header.length < sizeof(AcpiSdtHeader)) {
      return Fail("ACPI: ", Printable(info.signature), " at ", Hex(address), " has length ",
                  Dec(header.length), ", shorter than its own header (36)");
    }
    auto body = reader_.SpanAt(*offset, header.length);
    if (!body) {
      return Fail("ACPI: ", Printable(info.signature), " at ", Hex(address), " has length ",
                  Dec(header.length), " and runs past the end of the tables (",
                  Hex(base_ + reader_.size()), ")");
    }
    if (uint8_t sum = AcpiByteSum(*body); sum != 0) {
      return Fail("ACPI: ", Printable(info.signature), " at ", Hex(address),
                  " has a bad checksum (bytes sum to ", Hex(sum), ", not 0)");
    }
    return info;
  }

  template <typename T>
  std::optional<T> ReadAt(uint64_t address) const {
    auto offset = OffsetOf(address, sizeof(T));
    if (!offset) {
      return std::nullopt;
    }
    return reader_.ReadAt<T>(*offset);
  }

  static std::string Printable(std::string text) {
    for (char& c : text) {
      if (c < 0x20 || c > 0x7e) {
        c = '?';
      }
    }
    return text;
  }

 private:
  ByteReader reader_;
  uint64_t base_;
};

// Reads the entries of an RSDT (4-byte pointers) or XSDT (8-byte pointers).
template <typename Pointer>
Result<std::vector<uint64_t>> RootEntries(const TableSetReader& reader, const AcpiTableInfo& root) {
  size_t payload = root.length - sizeof(AcpiSdtHeader);
  if (payload % sizeof(Pointer) != 0) {
    return Fail("ACPI: ", root.signature, " at ", Hex(root.address), " has length ",
                Dec(root.length), ", which leaves a partial ", Dec(sizeof(Pointer)), "-byte entry");
  }
  std::vector<uint64_t> entries;
  for (size_t i = 0; i < payload / sizeof(Pointer); ++i) {
    // Inside the table, which Table() checked lies inside the blob.
    entries.push_back(
        *reader.ReadAt<Pointer>(root.address + sizeof(AcpiSdtHeader) + i * sizeof(Pointer)));
  }
  return entries;
}

Result<void> ReadFadt(const TableSetReader& reader, const AcpiTableInfo& fadt,
                      AcpiTableSummary& summary) {
  // Fields are read only if the table is long enough to hold them: older FADT revisions are
  // shorter (ACPI 6.3 section 5.2.9 keeps every field at its old offset).
  auto field_end = [](size_t offset, size_t size) { return offset + size; };
  uint64_t dsdt = 0;
  if (fadt.length >= field_end(offsetof(AcpiFadt, dsdt), sizeof(uint32_t))) {
    dsdt = *reader.ReadAt<uint32_t>(fadt.address + offsetof(AcpiFadt, dsdt));
  }
  if (fadt.length >= field_end(offsetof(AcpiFadt, iapc_boot_arch), sizeof(uint16_t))) {
    summary.iapc_boot_arch =
        *reader.ReadAt<uint16_t>(fadt.address + offsetof(AcpiFadt, iapc_boot_arch));
  }
  if (fadt.length >= field_end(offsetof(AcpiFadt, flags), sizeof(uint32_t))) {
    summary.fadt_flags = *reader.ReadAt<uint32_t>(fadt.address + offsetof(AcpiFadt, flags));
  }
  if (fadt.length >= field_end(offsetof(AcpiFadt, sleep_status_reg), sizeof(AcpiGenericAddress))) {
    summary.sleep_control =
        *reader.ReadAt<AcpiGenericAddress>(fadt.address + offsetof(AcpiFadt, sleep_control_reg));
    summary.sleep_status =
        *reader.ReadAt<AcpiGenericAddress>(fadt.address + offsetof(AcpiFadt, sleep_status_reg));
  }
  if (fadt.length >= field_end(offsetof(AcpiFadt, x_dsdt), sizeof(uint64_t))) {
    uint64_t x_dsdt = *reader.ReadAt<uint64_t>(fadt.address + offsetof(AcpiFadt, x_dsdt));
    if (x_dsdt != 0 && dsdt != 0 && x_dsdt != dsdt) {
      return Fail("ACPI: FADT at ", Hex(fadt.address), " points at two DSDTs: DSDT ", Hex(dsdt),
                  " and X_DSDT ", Hex(x_dsdt));
    }
    if (x_dsdt != 0) {
      dsdt = x_dsdt;
    }
  }
  if (dsdt == 0) {
    return Fail("ACPI: FADT at ", Hex(fadt.address), " has no DSDT");
  }
  summary.tables.push_back(MINT_TRY(reader.Table(dsdt, "FADT.DSDT", "DSDT")));
  return Ok{};
}

Result<void> ReadMadt(const TableSetReader& reader, const AcpiTableInfo& madt,
                      AcpiTableSummary& summary) {
  if (madt.length < sizeof(AcpiMadt)) {
    return Fail("ACPI: MADT at ", Hex(madt.address), " has length ", Dec(madt.length),
                ", shorter than its fixed part (", Dec(sizeof(AcpiMadt)), ")");
  }
  auto fixed = *reader.ReadAt<AcpiMadt>(madt.address);
  summary.local_apic_address = fixed.local_apic_address;
  summary.madt_flags = fixed.flags;
  std::set<uint32_t> seen;
  auto add_cpu = [&](uint32_t id, uint32_t flags, uint64_t at) -> Result<void> {
    if ((flags & kMadtLocalApicEnabled) == 0) {
      return Ok{};
    }
    if (!seen.insert(id).second) {
      return Fail("ACPI: MADT entry at ", Hex(at), " enables APIC ID ", Dec(id), " a second time");
    }
    summary.enabled_apic_ids.push_back(id);
    return Ok{};
  };
  const uint64_t end = madt.address + madt.length;
  uint64_t at = madt.address + sizeof(AcpiMadt);
  while (at < end) {
    if (end - at < sizeof(AcpiMadtEntryHeader)) {
      return Fail("ACPI: MADT entry at ", Hex(at), " is cut off by the end of the table");
    }
    auto entry = *reader.ReadAt<AcpiMadtEntryHeader>(at);
    if (entry.length < sizeof(AcpiMadtEntryHeader) || entry.length > end - at) {
      return Fail("ACPI: MADT entry at ", Hex(at), " (type ", Dec(entry.type), ") has length ",
                  Dec(entry.length), ", which does not fit the table");
    }
    switch (entry.type) {
      case kMadtTypeLocalApic: {
        if (entry.length != sizeof(AcpiMadtLocalApic)) {
          return Fail("ACPI: MADT local APIC entry at ", Hex(at), " has length ", Dec(entry.length),
                      ", expected 8");
        }
        auto lapic = *reader.ReadAt<AcpiMadtLocalApic>(at);
        MINT_TRY_VOID(add_cpu(lapic.apic_id, lapic.flags, at));
        break;
      }
      case kMadtTypeLocalX2Apic: {
        if (entry.length != sizeof(AcpiMadtLocalX2Apic)) {
          return Fail("ACPI: MADT local x2APIC entry at ", Hex(at), " has length ",
                      Dec(entry.length), ", expected 16");
        }
        auto x2apic = *reader.ReadAt<AcpiMadtLocalX2Apic>(at);
        MINT_TRY_VOID(add_cpu(x2apic.x2apic_id, x2apic.flags, at));
        break;
      }
      case kMadtTypeIoApic: {
        if (entry.length != sizeof(AcpiMadtIoApic)) {
          return Fail("ACPI: MADT IO-APIC entry at ", Hex(at), " has length ", Dec(entry.length),
                      ", expected 12");
        }
        auto io_apic = *reader.ReadAt<AcpiMadtIoApic>(at);
        ++summary.io_apic_count;
        summary.io_apics.push_back(AcpiIoApic{io_apic.io_apic_id, io_apic.io_apic_address,
                                              io_apic.global_system_interrupt_base});
        break;
      }
      default:
        break;  // other controller types are legal; a node's tables simply do not use them
    }
    at += entry.length;
  }
  return Ok{};
}

Result<void> ReadMcfg(const TableSetReader& reader, const AcpiTableInfo& mcfg,
                      AcpiTableSummary& summary) {
  if (mcfg.length < sizeof(AcpiMcfg) ||
      (mcfg.length - sizeof(AcpiMcfg)) % sizeof(AcpiMcfgAllocation) != 0) {
    return Fail("ACPI: MCFG at ", Hex(mcfg.address), " has length ", Dec(mcfg.length),
                ", which is not 44 plus whole 16-byte allocations");
  }
  for (uint64_t at = mcfg.address + sizeof(AcpiMcfg); at < mcfg.address + mcfg.length;
       at += sizeof(AcpiMcfgAllocation)) {
    auto allocation = *reader.ReadAt<AcpiMcfgAllocation>(at);  // inside the checked table
    summary.ecam.push_back(AcpiEcamRange{allocation.base_address, allocation.segment,
                                         allocation.start_bus, allocation.end_bus});
  }
  return Ok{};
}

}  // namespace

Result<AcpiTableSummary> VerifyAcpiTables(std::span<const uint8_t> blob, uint64_t base,
                                          uint64_t rsdp_address) {
  if (!CheckedAdd(base, blob.size())) {
    return Fail("ACPI: tables at ", Hex(base), " of ", Dec(blob.size()),
                " bytes would end above 2^64");
  }
  TableSetReader reader(blob, base);
  AcpiTableSummary summary;
  summary.rsdp_address = rsdp_address;

  // RSDP, ACPI 6.3 section 5.2.5.3: the first 20 bytes are the ACPI 1.0 structure.
  auto v1 = reader.ReadAt<std::array<uint8_t, kAcpiRsdpV1Length>>(rsdp_address);
  if (!v1) {
    return Fail("ACPI: RSDP at ", Hex(rsdp_address), " is not inside the tables (", Hex(base), "-",
                Hex(base + blob.size()), ")");
  }
  if (std::memcmp(v1->data(), kRsdpSignature, sizeof(kRsdpSignature)) != 0) {
    return Fail("ACPI: no \"RSD PTR \" signature at ", Hex(rsdp_address));
  }
  if (uint8_t sum = AcpiByteSum(*v1); sum != 0) {
    return Fail("ACPI: RSDP at ", Hex(rsdp_address), " has a bad checksum (first 20 bytes sum to ",
                Hex(sum), ", not 0)");
  }
  summary.rsdp_revision = (*v1)[offsetof(AcpiRsdp, revision)];
  uint32_t rsdt_address = 0;
  std::memcpy(&rsdt_address, v1->data() + offsetof(AcpiRsdp, rsdt_address), sizeof(rsdt_address));
  uint64_t xsdt_address = 0;
  if (summary.rsdp_revision >= 2) {
    auto rsdp = reader.ReadAt<AcpiRsdp>(rsdp_address);
    if (!rsdp) {
      return Fail("ACPI: revision ", Dec(summary.rsdp_revision), " RSDP at ", Hex(rsdp_address),
                  " is cut off by the end of the tables");
    }
    if (rsdp->length < sizeof(AcpiRsdp)) {
      return Fail("ACPI: RSDP at ", Hex(rsdp_address), " has length ", Dec(rsdp->length),
                  ", expected at least 36 for revision ", Dec(summary.rsdp_revision));
    }
    auto offset = reader.OffsetOf(rsdp_address, rsdp->length);
    if (!offset) {
      return Fail("ACPI: RSDP at ", Hex(rsdp_address), " has length ", Dec(rsdp->length),
                  " and runs past the end of the tables");
    }
    if (uint8_t sum = AcpiByteSum(blob.subspan(*offset, rsdp->length)); sum != 0) {
      return Fail("ACPI: RSDP at ", Hex(rsdp_address),
                  " has a bad extended checksum (bytes sum to ", Hex(sum), ", not 0)");
    }
    xsdt_address = rsdp->xsdt_address;
  }

  // The root tables. An OS uses the XSDT when there is one (section 5.2.5.3); the RSDT must then
  // list the same tables, or a 32-bit reader would see another machine.
  std::vector<uint64_t> entries;
  if (rsdt_address != 0) {
    auto rsdt = MINT_TRY(reader.Table(rsdt_address, "RSDP.RsdtAddress", "RSDT"));
    entries = MINT_TRY(RootEntries<uint32_t>(reader, rsdt));
  }
  if (xsdt_address != 0) {
    auto xsdt = MINT_TRY(reader.Table(xsdt_address, "RSDP.XsdtAddress", "XSDT"));
    auto xsdt_entries = MINT_TRY(RootEntries<uint64_t>(reader, xsdt));
    if (rsdt_address != 0 && xsdt_entries != entries) {
      return Fail("ACPI: RSDT at ", Hex(rsdt_address), " and XSDT at ", Hex(xsdt_address),
                  " list different tables");
    }
    entries = std::move(xsdt_entries);
    summary.has_xsdt = true;
  }
  if (rsdt_address == 0 && xsdt_address == 0) {
    return Fail("ACPI: RSDP at ", Hex(rsdp_address), " points at neither an RSDT nor an XSDT");
  }

  std::optional<AcpiTableInfo> fadt;
  std::optional<AcpiTableInfo> madt;
  std::optional<AcpiTableInfo> mcfg;
  for (uint64_t address : entries) {
    Result<AcpiTableInfo> table = reader.Table(address, "root table entry", "");
    if (!table.ok()) {
      return table.take_error();
    }
    const AcpiTableInfo& info = table.value();
    std::optional<AcpiTableInfo>* slot = nullptr;
    if (info.signature == "FACP") {
      slot = &fadt;
    } else if (info.signature == "APIC") {
      slot = &madt;
    } else if (info.signature == "MCFG") {
      slot = &mcfg;
    }
    if (slot != nullptr && slot->has_value()) {
      return Fail("ACPI: two ", info.signature, " tables (", Hex((*slot)->address), " and ",
                  Hex(info.address), ")");
    }
    if (slot != nullptr) {
      *slot = info;
    }
    summary.tables.push_back(info);
  }
  if (!fadt) {
    return Fail("ACPI: the root table lists no FADT (\"FACP\")");
  }
  if (!madt) {
    return Fail("ACPI: the root table lists no MADT (\"APIC\")");
  }
  MINT_TRY_VOID(ReadFadt(reader, *fadt, summary));
  MINT_TRY_VOID(ReadMadt(reader, *madt, summary));
  if (mcfg) {
    MINT_TRY_VOID(ReadMcfg(reader, *mcfg, summary));
  }
  return summary;
}

std::vector<aml::Term> SleepStates() {
  return {
      aml::Name("_S0", aml::Package({0, 0})),
      aml::Name("_S3", aml::Package({kSleepTypeS3, kSleepTypeS3})),
      aml::Name("_S5", aml::Package({kSleepTypeS5, kSleepTypeS5})),
  };
}

std::vector<uint8_t> SleepStatesAml() {
  auto encoded = aml::Encode(SleepStates());
  return encoded.ok() ? *encoded : std::vector<uint8_t>{};  // fixed input: cannot fail
}

}  // namespace mint
