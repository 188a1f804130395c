// ACPI table layouts, as Mint writes them (acpi_build.h: a node's synthetic table set) and reads
// them (acpi_read.h: the verifier of such a set, and the MADT walker the inventory uses on the
// firmware's own table).
//
// Layouts are those of ACPI 6.3 (January 2019); every struct below mirrors a table of that
// specification and says which. All multi-byte fields are little-endian, as is the only host
// Mint runs on (x86).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

namespace mint {

static_assert(std::endian::native == std::endian::little,
              "ACPI structs below are stored as the host lays them out: little-endian only");

// The xAPIC MMIO window every local APIC answers at (Intel SDM Vol. 3A, 10.4.1).
inline constexpr uint32_t kLocalApicAddress = 0xFEE00000;
// xAPIC IDs are 8 bits and 0xFF is the broadcast destination, so 254 is the largest core ID a
// Processor Local APIC entry can name.
inline constexpr uint32_t kMaxXapicId = 254;

// ---------------------------------------------------------------------------------------------
// Spec layouts (ACPI 6.3). Packed: several fields are not naturally aligned.
// ---------------------------------------------------------------------------------------------
#pragma pack(push, 1)

// Root System Description Pointer, ACPI 6.3 section 5.2.5.3, Table 5-27.
struct AcpiRsdp {
  char signature[8];  // "RSD PTR "
  uint8_t checksum;   // bytes 0..19 sum to zero
  char oem_id[6];
  uint8_t revision;  // 2 for ACPI 2.0 and later
  uint32_t rsdt_address;
  uint32_t length;  // whole structure, 36
  uint64_t xsdt_address;
  uint8_t extended_checksum;  // all `length` bytes sum to zero
  uint8_t reserved[3];
};
static_assert(sizeof(AcpiRsdp) == 36);
static_assert(offsetof(AcpiRsdp, checksum) == 8);
static_assert(offsetof(AcpiRsdp, oem_id) == 9);
static_assert(offsetof(AcpiRsdp, revision) == 15);
static_assert(offsetof(AcpiRsdp, rsdt_address) == 16);
static_assert(offsetof(AcpiRsdp, length) == 20);
static_assert(offsetof(AcpiRsdp, xsdt_address) == 24);
static_assert(offsetof(AcpiRsdp, extended_checksum) == 32);
// The part covered by the first (ACPI 1.0) checksum, section 5.2.5.3.
inline constexpr size_t kAcpiRsdpV1Length = 20;
// AcpiRsdp::signature: "RSD PTR ", without a terminating NUL.
inline constexpr char kRsdpSignature[8] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};

// System Description Table Header, ACPI 6.3 section 5.2.6, Table 5-29.
struct AcpiSdtHeader {
  char signature[4];
  uint32_t length;  // whole table, header included
  uint8_t revision;
  uint8_t checksum;  // all `length` bytes sum to zero
  char oem_id[6];
  char oem_table_id[8];
  uint32_t oem_revision;
  char creator_id[4];
  uint32_t creator_revision;
};
static_assert(sizeof(AcpiSdtHeader) == 36);
static_assert(offsetof(AcpiSdtHeader, length) == 4);
static_assert(offsetof(AcpiSdtHeader, revision) == 8);
static_assert(offsetof(AcpiSdtHeader, checksum) == 9);
static_assert(offsetof(AcpiSdtHeader, oem_id) == 10);
static_assert(offsetof(AcpiSdtHeader, oem_table_id) == 16);
static_assert(offsetof(AcpiSdtHeader, oem_revision) == 24);
static_assert(offsetof(AcpiSdtHeader, creator_id) == 28);
static_assert(offsetof(AcpiSdtHeader, creator_revision) == 32);

// Generic Address Structure, ACPI 6.3 section 5.2.3.2, Table 5-25.
struct AcpiGenericAddress {
  uint8_t address_space_id;
  uint8_t register_bit_width;
  uint8_t register_bit_offset;
  uint8_t access_size;
  uint64_t address;
};
static_assert(sizeof(AcpiGenericAddress) == 12);
inline constexpr uint8_t kAcpiSpaceSystemMemory = 0;  // Table 5-25, Address Space ID
inline constexpr uint8_t kAcpiAccessByte = 1;         // Table 5-25, Access Size
static_assert(offsetof(AcpiGenericAddress, address) == 4);

// Fixed ACPI Description Table, ACPI 6.3 section 5.2.9, Table 5-34 (revision 6, minor 3).
struct AcpiFadt {
  AcpiSdtHeader header;  // "FACP"
  uint32_t firmware_ctrl;
  uint32_t dsdt;
  uint8_t reserved0;
  uint8_t preferred_pm_profile;
  uint16_t sci_int;
  uint32_t smi_cmd;
  uint8_t acpi_enable;
  uint8_t acpi_disable;
  uint8_t s4bios_req;
  uint8_t pstate_cnt;
  uint32_t pm1a_evt_blk;
  uint32_t pm1b_evt_blk;
  uint32_t pm1a_cnt_blk;
  uint32_t pm1b_cnt_blk;
  uint32_t pm2_cnt_blk;
  uint32_t pm_tmr_blk;
  uint32_t gpe0_blk;
  uint32_t gpe1_blk;
  uint8_t pm1_evt_len;
  uint8_t pm1_cnt_len;
  uint8_t pm2_cnt_len;
  uint8_t pm_tmr_len;
  uint8_t gpe0_blk_len;
  uint8_t gpe1_blk_len;
  uint8_t gpe1_base;
  uint8_t cst_cnt;
  uint16_t p_lvl2_lat;
  uint16_t p_lvl3_lat;
  uint16_t flush_size;
  uint16_t flush_stride;
  uint8_t duty_offset;
  uint8_t duty_width;
  uint8_t day_alrm;
  uint8_t mon_alrm;
  uint8_t century;
  uint16_t iapc_boot_arch;
  uint8_t reserved1;
  uint32_t flags;
  AcpiGenericAddress reset_reg;
  uint8_t reset_value;
  uint16_t arm_boot_arch;
  uint8_t fadt_minor_version;
  uint64_t x_firmware_ctrl;
  uint64_t x_dsdt;
  AcpiGenericAddress x_pm1a_evt_blk;
  AcpiGenericAddress x_pm1b_evt_blk;
  AcpiGenericAddress x_pm1a_cnt_blk;
  AcpiGenericAddress x_pm1b_cnt_blk;
  AcpiGenericAddress x_pm2_cnt_blk;
  AcpiGenericAddress x_pm_tmr_blk;
  AcpiGenericAddress x_gpe0_blk;
  AcpiGenericAddress x_gpe1_blk;
  AcpiGenericAddress sleep_control_reg;
  AcpiGenericAddress sleep_status_reg;
  uint64_t hypervisor_vendor_identity;
};
static_assert(sizeof(AcpiFadt) == 276);
static_assert(offsetof(AcpiFadt, firmware_ctrl) == 36);
static_assert(offsetof(AcpiFadt, dsdt) == 40);
static_assert(offsetof(AcpiFadt, preferred_pm_profile) == 45);
static_assert(offsetof(AcpiFadt, sci_int) == 46);
static_assert(offsetof(AcpiFadt, smi_cmd) == 48);
static_assert(offsetof(AcpiFadt, pm1a_evt_blk) == 56);
static_assert(offsetof(AcpiFadt, pm_tmr_blk) == 76);
static_assert(offsetof(AcpiFadt, gpe1_blk) == 84);
static_assert(offsetof(AcpiFadt, pm1_evt_len) == 88);
static_assert(offsetof(AcpiFadt, cst_cnt) == 95);
static_assert(offsetof(AcpiFadt, p_lvl2_lat) == 96);
static_assert(offsetof(AcpiFadt, duty_offset) == 104);
static_assert(offsetof(AcpiFadt, century) == 108);
static_assert(offsetof(AcpiFadt, iapc_boot_arch) == 109);
static_assert(offsetof(AcpiFadt, reserved1) == 111);
static_assert(offsetof(AcpiFadt, flags) == 112);
static_assert(offsetof(AcpiFadt, reset_reg) == 116);
static_assert(offsetof(AcpiFadt, reset_value) == 128);
static_assert(offsetof(AcpiFadt, arm_boot_arch) == 129);
static_assert(offsetof(AcpiFadt, fadt_minor_version) == 131);
static_assert(offsetof(AcpiFadt, x_firmware_ctrl) == 132);
static_assert(offsetof(AcpiFadt, x_dsdt) == 140);
static_assert(offsetof(AcpiFadt, x_pm1a_evt_blk) == 148);
static_assert(offsetof(AcpiFadt, x_pm_tmr_blk) == 208);
static_assert(offsetof(AcpiFadt, x_gpe0_blk) == 220);
static_assert(offsetof(AcpiFadt, x_gpe1_blk) == 232);
static_assert(offsetof(AcpiFadt, sleep_control_reg) == 244);
static_assert(offsetof(AcpiFadt, sleep_status_reg) == 256);
static_assert(offsetof(AcpiFadt, hypervisor_vendor_identity) == 268);

// FADT Flags bits, ACPI 6.3 section 5.2.9, Table 5-35.
inline constexpr uint32_t kFadtForceApicPhysicalDestinationMode = 1u << 19;
inline constexpr uint32_t kFadtHwReducedAcpi = 1u << 20;
// IA-PC Boot Architecture Flags, ACPI 6.3 section 5.2.9.3, Table 5-36.
inline constexpr uint16_t kFadtBootArchVgaNotPresent = 1u << 2;
inline constexpr uint16_t kFadtBootArchCmosRtcNotPresent = 1u << 5;

// Multiple APIC Description Table header, ACPI 6.3 section 5.2.12, Table 5-43. Interrupt
// controller structures follow it up to header.length.
struct AcpiMadt {
  AcpiSdtHeader header;  // "APIC"
  uint32_t local_apic_address;
  uint32_t flags;  // bit 0 PCAT_COMPAT: a dual 8259 is present
};
static_assert(sizeof(AcpiMadt) == 44);
static_assert(offsetof(AcpiMadt, local_apic_address) == 36);
static_assert(offsetof(AcpiMadt, flags) == 40);
inline constexpr uint32_t kMadtPcatCompat = 1u << 0;

// The two bytes every interrupt controller structure starts with, ACPI 6.3 section 5.2.12,
// Table 5-45.
struct AcpiMadtEntryHeader {
  uint8_t type;
  uint8_t length;
};
static_assert(sizeof(AcpiMadtEntryHeader) == 2);
static_assert(offsetof(AcpiMadtEntryHeader, length) == 1);
inline constexpr uint8_t kMadtTypeLocalApic = 0;
inline constexpr uint8_t kMadtTypeIoApic = 1;
inline constexpr uint8_t kMadtTypeLocalX2Apic = 9;

// Processor Local APIC Structure, ACPI 6.3 section 5.2.12.2, Table 5-46.
struct AcpiMadtLocalApic {
  AcpiMadtEntryHeader header;  // type 0, length 8
  uint8_t acpi_processor_uid;
  uint8_t apic_id;
  uint32_t flags;  // Table 5-47
};
static_assert(sizeof(AcpiMadtLocalApic) == 8);
static_assert(offsetof(AcpiMadtLocalApic, acpi_processor_uid) == 2);
static_assert(offsetof(AcpiMadtLocalApic, apic_id) == 3);
static_assert(offsetof(AcpiMadtLocalApic, flags) == 4);
// Local APIC Flags, ACPI 6.3 section 5.2.12.2, Table 5-47.
inline constexpr uint32_t kMadtLocalApicEnabled = 1u << 0;
inline constexpr uint32_t kMadtLocalApicOnlineCapable = 1u << 1;  // ACPI 6.3: can be enabled later

// Processor Local x2APIC Structure, ACPI 6.3 section 5.2.12.12, Table 5-60 (read only: Mint
// does not write x2APIC entries yet, but the verifier accepts them).
struct AcpiMadtLocalX2Apic {
  AcpiMadtEntryHeader header;  // type 9, length 16
  uint16_t reserved;
  uint32_t x2apic_id;
  uint32_t flags;  // Table 5-47
  uint32_t acpi_processor_uid;
};
static_assert(sizeof(AcpiMadtLocalX2Apic) == 16);
static_assert(offsetof(AcpiMadtLocalX2Apic, x2apic_id) == 4);
static_assert(offsetof(AcpiMadtLocalX2Apic, flags) == 8);
static_assert(offsetof(AcpiMadtLocalX2Apic, acpi_processor_uid) == 12);

// I/O APIC Structure, ACPI 6.3 section 5.2.12.3, Table 5-48. A node lists one only when it owns
// the whole IO-APIC (a second one wired to its devices alone): sharing one between kernels is
// racy by design (shared index register, mask-and-restore, EOI broadcast; DESIGN.md).
struct AcpiMadtIoApic {
  AcpiMadtEntryHeader header;  // type 1, length 12
  uint8_t io_apic_id;
  uint8_t reserved;
  uint32_t io_apic_address;
  uint32_t global_system_interrupt_base;
};
static_assert(sizeof(AcpiMadtIoApic) == 12);
static_assert(offsetof(AcpiMadtIoApic, io_apic_id) == 2);
static_assert(offsetof(AcpiMadtIoApic, io_apic_address) == 4);
static_assert(offsetof(AcpiMadtIoApic, global_system_interrupt_base) == 8);

// PCI Express memory mapped configuration space base address description table (MCFG), PCI
// Firmware Specification 3.2, section 4.1.2, Table 4-2: the header, 8 reserved bytes, then
// allocation structures up to header.length.
struct AcpiMcfg {
  AcpiSdtHeader header;  // "MCFG"
  uint8_t reserved[8];
};
static_assert(sizeof(AcpiMcfg) == 44);
static_assert(offsetof(AcpiMcfg, reserved) == 36);

// Configuration space base address allocation structure, PCI Firmware Specification 3.2,
// Table 4-3. `base_address` is where bus 0 of the segment would be, even when start_bus is
// not 0: bus B's 1 MiB of configuration space is at base_address + (B << 20).
struct AcpiMcfgAllocation {
  uint64_t base_address;
  uint16_t segment;
  uint8_t start_bus;
  uint8_t end_bus;
  uint32_t reserved;
};
static_assert(sizeof(AcpiMcfgAllocation) == 16);
static_assert(offsetof(AcpiMcfgAllocation, segment) == 8);
static_assert(offsetof(AcpiMcfgAllocation, start_bus) == 10);
static_assert(offsetof(AcpiMcfgAllocation, end_bus) == 11);
static_assert(offsetof(AcpiMcfgAllocation, reserved) == 12);

#pragma pack(pop)

// Table revisions Mint writes. DSDT revision 2 makes AML integers 64 bits wide (ACPI 6.3
// section 5.2.11.1); MADT revision 5 is the one ACPI 6.3 defines (Table 5-43).
inline constexpr uint8_t kRsdpRevision = 2;
inline constexpr uint8_t kRsdtRevision = 1;
inline constexpr uint8_t kXsdtRevision = 1;
inline constexpr uint8_t kFadtRevision = 6;
inline constexpr uint8_t kFadtMinorVersion = 3;
inline constexpr uint8_t kDsdtRevision = 2;
inline constexpr uint8_t kMadtRevision = 5;
inline constexpr uint8_t kMcfgRevision = 1;  // PCI Firmware Specification 3.2, Table 4-2

// One ECAM range of an MCFG: buses [start_bus, end_bus] of `segment`, with bus 0 of the segment
// at `base` (see AcpiMcfgAllocation).
struct AcpiEcamRange {
  uint64_t base = 0;
  uint16_t segment = 0;
  uint8_t start_bus = 0;
  uint8_t end_bus = 0;
  bool operator==(const AcpiEcamRange&) const = default;
};

// An IO-APIC a MADT lists (see AcpiMadtIoApic): one the node owns outright, or one of the
// firmware's.
struct AcpiIoApic {
  uint8_t id = 0;
  uint32_t address = 0;
  uint32_t gsi_base = 0;
  bool operator==(const AcpiIoApic&) const = default;
};

// Sum of bytes mod 256; a table with a correct checksum sums to 0.
inline uint8_t AcpiByteSum(std::span<const uint8_t> bytes) {
  uint8_t sum = 0;
  for (uint8_t byte : bytes) {
    sum = static_cast<uint8_t>(sum + byte);
  }
  return sum;
}

}  // namespace mint
