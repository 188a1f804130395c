#include "acpi_build.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <string_view>

#include "boot_protocol.h"
#include "byte_reader.h"
#include "format.h"

namespace mint {
namespace {

// Tables are placed 16-byte aligned: the RSDP needs it (ACPI 6.3 section 5.2.5.1), the other
// tables only need 8 (section 5.2.6) and 16 keeps their addresses easy to read in a dump.
constexpr uint64_t kTableAlignment = 16;
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
  if (config.foreign_first_apic_id &&
      (*config.foreign_first_apic_id > kMaxXapicId || seen.count(*config.foreign_first_apic_id))) {
    return Fail("ACPI tables: the APIC ID listed first, ", Dec(*config.foreign_first_apic_id),
                ", must be one of no core of the node's and at most ", Dec(kMaxXapicId));
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

Result<AcpiTables> BuildAcpiTables(const AcpiNodeConfig& config) {
  MINT_TRY_VOID(CheckConfig(config));

  // Layout: RSDP, RSDT, XSDT, FADT, MADT, MCFG (if any), then the DSDT last because its AML
  // may grow.
  const size_t foreign = config.foreign_first_apic_id ? 1 : 0;
  const size_t cpus = config.apic_ids.size() + foreign;
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
  auto local_apic = [&](size_t slot, size_t uid, uint32_t apic_id, uint32_t flags) {
    AcpiMadtLocalApic entry{};
    entry.header.type = kMadtTypeLocalApic;
    entry.header.length = sizeof(AcpiMadtLocalApic);
    entry.acpi_processor_uid = static_cast<uint8_t>(uid);  // < 255: IDs are unique and <= 254
    entry.apic_id = static_cast<uint8_t>(apic_id);
    entry.flags = flags;
    Store(tables.blob, tables.madt.offset + sizeof(AcpiMadt) + slot * sizeof(AcpiMadtLocalApic),
          entry);
  };
  if (config.foreign_first_apic_id)  // first, see AcpiNodeConfig
    local_apic(0, config.apic_ids.size(), *config.foreign_first_apic_id,
               kMadtLocalApicOnlineCapable);
  for (size_t i = 0; i < config.apic_ids.size(); ++i)
    local_apic(foreign + i, i, config.apic_ids[i], kMadtLocalApicEnabled);

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
