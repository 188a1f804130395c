#include "acpi_read.h"

#include <array>
#include <cstring>
#include <optional>
#include <set>
#include <string_view>

#include "byte_reader.h"
#include "format.h"

namespace mint {
namespace {

std::string Dec(uint64_t value) {
  return std::to_string(value);
}

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

  // The bytes of a table Table() accepted (which checked that they lie inside the blob).
  std::span<const uint8_t> Bytes(const AcpiTableInfo& table) const {
    auto offset = OffsetOf(table.address, table.length);
    return offset ? *reader_.SpanAt(*offset, table.length) : std::span<const uint8_t>();
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
  MadtEntryReader entries(reader.Bytes(madt));
  while (auto entry = entries.Next()) {
    const uint64_t at = madt.address + entry->offset;
    switch (entry->type) {
      case kMadtTypeLocalApic: {
        if (entry->bytes.size() != sizeof(AcpiMadtLocalApic)) {
          return Fail("ACPI: MADT local APIC entry at ", Hex(at), " has length ",
                      Dec(entry->bytes.size()), ", expected 8");
        }
        auto lapic = *entry->As<AcpiMadtLocalApic>();
        MINT_TRY_VOID(add_cpu(lapic.apic_id, lapic.flags, at));
        break;
      }
      case kMadtTypeLocalX2Apic: {
        if (entry->bytes.size() != sizeof(AcpiMadtLocalX2Apic)) {
          return Fail("ACPI: MADT local x2APIC entry at ", Hex(at), " has length ",
                      Dec(entry->bytes.size()), ", expected 16");
        }
        auto x2apic = *entry->As<AcpiMadtLocalX2Apic>();
        MINT_TRY_VOID(add_cpu(x2apic.x2apic_id, x2apic.flags, at));
        break;
      }
      case kMadtTypeIoApic: {
        if (entry->bytes.size() != sizeof(AcpiMadtIoApic)) {
          return Fail("ACPI: MADT IO-APIC entry at ", Hex(at), " has length ",
                      Dec(entry->bytes.size()), ", expected 12");
        }
        auto io_apic = *entry->As<AcpiMadtIoApic>();
        ++summary.io_apic_count;
        summary.io_apics.push_back(AcpiIoApic{io_apic.io_apic_id, io_apic.io_apic_address,
                                              io_apic.global_system_interrupt_base});
        break;
      }
      default:
        break;  // other controller types are legal; a node's tables simply do not use them
    }
  }
  if (const std::optional<MadtFault>& fault = entries.fault()) {
    const uint64_t at = madt.address + fault->offset;
    if (fault->kind == MadtFault::Kind::kCutOff) {
      return Fail("ACPI: MADT entry at ", Hex(at), " is cut off by the end of the table");
    }
    return Fail("ACPI: MADT entry at ", Hex(at), " (type ", Dec(fault->type), ") has length ",
                Dec(fault->length), ", which does not fit the table");
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

MadtEntryReader::MadtEntryReader(std::span<const uint8_t> table) : reader_(table) {
  if (!reader_.Skip(sizeof(AcpiMadt))) {
    fault_ = MadtFault{MadtFault::Kind::kCutOff, 0, 0, 0};
  }
}

std::optional<MadtEntry> MadtEntryReader::Next() {
  if (fault_ || reader_.remaining() == 0) {
    return std::nullopt;
  }
  const size_t offset = reader_.offset();
  auto header = reader_.ReadAt<AcpiMadtEntryHeader>(offset);
  if (!header) {
    fault_ = MadtFault{MadtFault::Kind::kCutOff, offset, 0, 0};
    return std::nullopt;
  }
  auto bytes = header->length >= sizeof(AcpiMadtEntryHeader)
                   ? reader_.SpanAt(offset, header->length)
                   : std::nullopt;
  if (!bytes) {
    fault_ = MadtFault{MadtFault::Kind::kBadLength, offset, header->type, header->length};
    return std::nullopt;
  }
  reader_.Skip(bytes->size());
  return MadtEntry{offset, header->type, *bytes};
}

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

}  // namespace mint
