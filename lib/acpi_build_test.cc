#include "acpi_build.h"
#include "acpi_read.h"
#include "acpi_testing.h"
#include "iasl_testing.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace mint {
namespace {

using Bytes = std::vector<uint8_t>;
using testing::Build;
using testing::Read;
using testing::SmallConfig;
using testing::VariedConfigs;

Bytes Slice(const AcpiTables& tables, AcpiBlobRange range) {
  return Bytes(tables.blob.begin() + static_cast<ptrdiff_t>(range.offset),
               tables.blob.begin() + static_cast<ptrdiff_t>(range.offset + range.size));
}

std::string ErrorOf(const AcpiNodeConfig& config) {
  auto tables = BuildAcpiTables(config);
  EXPECT_FALSE(tables.ok());
  return tables.ok() ? std::string() : tables.error().message;
}

// ---------------------------------------------------------------------------------------------
// Golden bytes for SmallConfig(): base 0x40003000, apic_ids {1}. Layout (16-byte aligned):
//   0x40003000 RSDP (36)  0x40003030 RSDT (44)  0x40003060 XSDT (52)
//   0x400030A0 FADT (276) 0x400031C0 MADT (52)  0x40003200 DSDT (36)
// ---------------------------------------------------------------------------------------------

TEST(AcpiGolden, Layout) {
  AcpiTables tables = Build(SmallConfig());
  EXPECT_EQ(tables.base, 0x40003000u);
  EXPECT_EQ(tables.rsdp_address, 0x40003000u);
  EXPECT_EQ(tables.rsdp.offset, 0x000u);
  EXPECT_EQ(tables.rsdt.offset, 0x030u);
  EXPECT_EQ(tables.xsdt.offset, 0x060u);
  EXPECT_EQ(tables.fadt.offset, 0x0A0u);
  EXPECT_EQ(tables.madt.offset, 0x1C0u);
  EXPECT_EQ(tables.dsdt.offset, 0x200u);
  EXPECT_EQ(tables.blob.size(), 0x224u);
}

TEST(AcpiGolden, Rsdp) {
  const Bytes golden = {
      'R',  'S',  'D',  ' ',  'P',  'T',  'R',  ' ',   // Signature
      0xC7,                                            // Checksum (bytes 0..19)
      'M',  'I',  'N',  'T',  ' ',  ' ',               // OEMID
      0x02,                                            // Revision 2 (ACPI 2.0+)
      0x30, 0x30, 0x00, 0x40,                          // RsdtAddress 0x40003030
      0x24, 0x00, 0x00, 0x00,                          // Length 36
      0x60, 0x30, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,  // XsdtAddress 0x40003060
      0x0C,                                            // Extended Checksum (bytes 0..35)
      0x00, 0x00, 0x00,                                // Reserved
  };
  AcpiTables tables = Build(SmallConfig());
  EXPECT_EQ(Slice(tables, tables.rsdp), golden);
}

TEST(AcpiGolden, Rsdt) {
  const Bytes golden = {
      'R',  'S',  'D',  'T',                       // Signature
      0x2C, 0x00, 0x00, 0x00,                      // Length 44
      0x01,                                        // Revision 1
      0x45,                                        // Checksum
      'M',  'I',  'N',  'T',  ' ', ' ',            // OEMID
      'M',  'I',  'N',  'T',  'N', 'O', 'D', 'E',  // OEM Table ID
      0x01, 0x00, 0x00, 0x00,                      // OEM Revision 1
      'M',  'I',  'N',  'T',                       // Creator ID
      0x01, 0x00, 0x00, 0x00,                      // Creator Revision 1
      0xA0, 0x30, 0x00, 0x40,                      // Entry[0] 0x400030A0: FADT
      0xC0, 0x31, 0x00, 0x40,                      // Entry[1] 0x400031C0: MADT
  };
  AcpiTables tables = Build(SmallConfig());
  EXPECT_EQ(Slice(tables, tables.rsdt), golden);
}

TEST(AcpiGolden, Xsdt) {
  const Bytes golden = {
      'X',  'S',  'D',  'T',                           // Signature
      0x34, 0x00, 0x00, 0x00,                          // Length 52
      0x01,                                            // Revision 1
      0x37,                                            // Checksum
      'M',  'I',  'N',  'T',  ' ',  ' ',               // OEMID
      'M',  'I',  'N',  'T',  'N',  'O',  'D',  'E',   // OEM Table ID
      0x01, 0x00, 0x00, 0x00,                          // OEM Revision 1
      'M',  'I',  'N',  'T',                           // Creator ID
      0x01, 0x00, 0x00, 0x00,                          // Creator Revision 1
      0xA0, 0x30, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,  // Entry[0] 0x400030A0: FADT
      0xC0, 0x31, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,  // Entry[1] 0x400031C0: MADT
  };
  AcpiTables tables = Build(SmallConfig());
  EXPECT_EQ(Slice(tables, tables.xsdt), golden);
}

TEST(AcpiGolden, Fadt) {
  const Bytes golden = {
      'F', 'A', 'C', 'P',                      // [000] Signature
      0x14, 0x01, 0x00, 0x00,                  // [004] Length 276
      0x06,                                    // [008] Revision 6
      0x98,                                    // [009] Checksum
      'M', 'I', 'N', 'T', ' ', ' ',            // [010] OEMID
      'M', 'I', 'N', 'T', 'N', 'O', 'D', 'E',  // [016] OEM Table ID
      0x01, 0x00, 0x00, 0x00,                  // [024] OEM Revision 1
      'M', 'I', 'N', 'T',                      // [028] Creator ID
      0x01, 0x00, 0x00, 0x00,                  // [032] Creator Revision 1
      0x00, 0x00, 0x00, 0x00,                  // [036] FIRMWARE_CTRL: no FACS
      0x00, 0x32, 0x00, 0x40,                  // [040] DSDT 0x40003200
      0x00,                                    // [044] Reserved
      0x00,                                    // [045] Preferred_PM_Profile: unspecified
      0x00, 0x00,                              // [046] SCI_INT: none
      0x00, 0x00, 0x00, 0x00,                  // [048] SMI_CMD: none
      0x00, 0x00, 0x00, 0x00,  // [052] ACPI_ENABLE, ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT
      0x00, 0x00, 0x00, 0x00,  // [056] PM1a_EVT_BLK
      0x00, 0x00, 0x00, 0x00,  // [060] PM1b_EVT_BLK
      0x00, 0x00, 0x00, 0x00,  // [064] PM1a_CNT_BLK
      0x00, 0x00, 0x00, 0x00,  // [068] PM1b_CNT_BLK
      0x00, 0x00, 0x00, 0x00,  // [072] PM2_CNT_BLK
      0x00, 0x00, 0x00, 0x00,  // [076] PM_TMR_BLK: no PM timer
      0x00, 0x00, 0x00, 0x00,  // [080] GPE0_BLK
      0x00, 0x00, 0x00, 0x00,  // [084] GPE1_BLK
      0x00, 0x00, 0x00, 0x00,  // [088] PM1_EVT_LEN, PM1_CNT_LEN, PM2_CNT_LEN, PM_TMR_LEN
      0x00, 0x00, 0x00, 0x00,  // [092] GPE0_BLK_LEN, GPE1_BLK_LEN, GPE1_BASE, CST_CNT
      0x00, 0x00, 0x00, 0x00,  // [096] P_LVL2_LAT, P_LVL3_LAT
      0x00, 0x00, 0x00, 0x00,  // [100] FLUSH_SIZE, FLUSH_STRIDE
      0x00, 0x00,              // [104] DUTY_OFFSET, DUTY_WIDTH
      0x00, 0x00, 0x00,        // [106] DAY_ALRM, MON_ALRM, CENTURY
      0x24, 0x00,  // [109] IAPC_BOOT_ARCH: VGA Not Present (2), CMOS RTC Not Present (5)
      0x00,        // [111] Reserved
      0x00, 0x00, 0x18, 0x00,  // [112] Flags: FORCE_APIC_PHYSICAL_DESTINATION_MODE (19),
                               //       HW_REDUCED_ACPI (20)
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // [116] RESET_REG
      0x00,                                                                    // [128] RESET_VALUE
      0x00, 0x00,                                      // [129] ARM_BOOT_ARCH
      0x03,                                            // [131] FADT Minor Version 3
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // [132] X_FIRMWARE_CTRL
      0x00, 0x32, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,  // [140] X_DSDT 0x40003200
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00,  // [148] X_PM1a_EVT_BLK
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00,  // [160] X_PM1b_EVT_BLK
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00,  // [172] X_PM1a_CNT_BLK
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00,  // [184] X_PM1b_CNT_BLK
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00,  // [196] X_PM2_CNT_BLK
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // [208] X_PM_TMR_BLK
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // [220] X_GPE0_BLK
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // [232] X_GPE1_BLK
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00,  // [244] SLEEP_CONTROL_REG
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00,                                            // [256] SLEEP_STATUS_REG
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // [268] Hypervisor Vendor Identity
  };
  ASSERT_EQ(golden.size(), 276u);
  AcpiTables tables = Build(SmallConfig());
  EXPECT_EQ(Slice(tables, tables.fadt), golden);
}

TEST(AcpiGolden, Madt) {
  const Bytes golden = {
      'A',  'P',  'I',  'C',                       // Signature
      0x34, 0x00, 0x00, 0x00,                      // Length 52
      0x05,                                        // Revision 5
      0xB2,                                        // Checksum
      'M',  'I',  'N',  'T',  ' ', ' ',            // OEMID
      'M',  'I',  'N',  'T',  'N', 'O', 'D', 'E',  // OEM Table ID
      0x01, 0x00, 0x00, 0x00,                      // OEM Revision 1
      'M',  'I',  'N',  'T',                       // Creator ID
      0x01, 0x00, 0x00, 0x00,                      // Creator Revision 1
      0x00, 0x00, 0xE0, 0xFE,                      // Local Interrupt Controller Address 0xFEE00000
      0x00, 0x00, 0x00, 0x00,                      // Flags: no PCAT_COMPAT (no 8259)
      0x00,                                        // Processor Local APIC: Type 0
      0x08,                                        //   Length 8
      0x00,                                        //   ACPI Processor UID 0
      0x01,                                        //   APIC ID 1
      0x01, 0x00, 0x00, 0x00,                      //   Flags: Enabled
  };
  AcpiTables tables = Build(SmallConfig());
  EXPECT_EQ(Slice(tables, tables.madt), golden);
}

// A foreign APIC ID listed first (6.12's check_for_real_bsp): disabled, online-capable, the
// UID after the node's, and the node's own entries after it, enabled as before.
TEST(AcpiGolden, MadtWithForeignFirstEntry) {
  AcpiNodeConfig config = SmallConfig();
  config.foreign_first_apic_id = 0;
  AcpiTables tables = Build(config);
  Bytes madt = Slice(tables, tables.madt);
  ASSERT_EQ(madt.size(), 44u + 2 * 8);
  const Bytes foreign = {0x00, 0x08, 0x01, 0x00,
                         0x02, 0x00, 0x00, 0x00};  // UID 1, APIC 0, online-capable
  const Bytes own = {0x00, 0x08, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00};  // UID 0, APIC 1, enabled
  EXPECT_EQ(Bytes(madt.begin() + 44, madt.begin() + 52), foreign);
  EXPECT_EQ(Bytes(madt.begin() + 52, madt.begin() + 60), own);
  auto summary = VerifyAcpiTables(tables.blob, tables.base, tables.base + tables.rsdp.offset);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->enabled_apic_ids, std::vector<uint32_t>{1});

  config.foreign_first_apic_id = 1;  // the node's own boot core
  EXPECT_NE(ErrorOf(config).find("the APIC ID listed first, 1, must be one of no core"),
            std::string::npos);
}

TEST(AcpiGolden, Dsdt) {
  const Bytes golden = {
      'D',  'S',  'D',  'T',                       // Signature
      0x24, 0x00, 0x00, 0x00,                      // Length 36: header only, an empty TermList
      0x02,                                        // Revision 2: 64-bit AML integers
      0x9B,                                        // Checksum
      'M',  'I',  'N',  'T',  ' ', ' ',            // OEMID
      'M',  'I',  'N',  'T',  'N', 'O', 'D', 'E',  // OEM Table ID
      0x01, 0x00, 0x00, 0x00,                      // OEM Revision 1
      'M',  'I',  'N',  'T',                       // Creator ID
      0x01, 0x00, 0x00, 0x00,                      // Creator Revision 1
  };
  AcpiTables tables = Build(SmallConfig());
  EXPECT_EQ(Slice(tables, tables.dsdt), golden);
}

// A node that may suspend: the FADT's sleep registers point at the host-watched byte (status
// bit width 0 at the next byte), the DSDT holds _S0/_S3/_S5, and iasl reads both back that way.
TEST(AcpiSleep, SleepRegistersAndPackages) {
  AcpiNodeConfig config = SmallConfig();
  config.sleep_control = 0x40000800;
  config.dsdt_aml = SleepStatesAml();
  AcpiTables tables = Build(config);
  auto summary = VerifyAcpiTables(tables.blob, tables.base, tables.rsdp_address);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->sleep_control.address, 0x40000800u);
  EXPECT_EQ(summary->sleep_control.register_bit_width, 8);
  EXPECT_EQ(summary->sleep_control.access_size, kAcpiAccessByte);
  EXPECT_EQ(summary->sleep_status.address, 0x40000801u);
  EXPECT_EQ(summary->sleep_status.register_bit_width, 0);
  EXPECT_EQ(summary->sleep_status.register_bit_offset, 8);
  // Name(_S0, Package(){0, 0}) = 08 '_S0_' 12 <len 4> 02 00 00: Zero encodes as one byte.
  Bytes aml = SleepStatesAml();
  const Bytes s0 = {0x08, '_', 'S', '0', '_', 0x12, 0x04, 0x02, 0x00, 0x00};
  ASSERT_GE(aml.size(), s0.size());
  EXPECT_EQ(Bytes(aml.begin(), aml.begin() + static_cast<ptrdiff_t>(s0.size())), s0);

  if (!testing::HaveIasl()) GTEST_SKIP() << "iasl not installed (scripts/setup installs it)";
  testing::ScratchDir dir;
  dir.Write("facp.dat", Slice(tables, tables.fadt));
  dir.Write("dsdt.aml", Slice(tables, tables.dsdt));
  ASSERT_EQ(dir.Iasl("-d facp.dat dsdt.aml").status, 0);
  std::string fadt = dir.ReadText("facp.dsl"), dsdt = dir.ReadText("dsdt.dsl");
  EXPECT_NE(fadt.find("0000000040000800"), std::string::npos) << fadt;
  EXPECT_NE(fadt.find("0000000040000801"), std::string::npos);
  for (const char* object :
       {"Name (_S0, Package (0x02)", "Name (_S3, Package (0x02)", "Name (_S5, Package (0x02)"})
    EXPECT_NE(dsdt.find(object), std::string::npos) << object << " in\n" << dsdt;
  if (HasFailure()) dir.Keep();
}

// ---------------------------------------------------------------------------------------------
// Structural properties, over several configs.
// ---------------------------------------------------------------------------------------------

// A node that owns the bus behind one root port (segment 1, bus 1) and a second IO-APIC.
AcpiNodeConfig DevicesConfig() {
  AcpiNodeConfig config = SmallConfig();
  config.ecam = {{.base = 0xB0000000, .segment = 1, .start_bus = 1, .end_bus = 1}};
  config.io_apics = {{.id = 1, .address = 0xFEC10000, .gsi_base = 24}};
  return config;
}

// With an MCFG the root tables grow by one entry and the MCFG sits between MADT and DSDT:
//   0x40003000 RSDP (36)  0x40003030 RSDT (48)  0x40003060 XSDT (60)
//   0x400030A0 FADT (276) 0x400031C0 MADT (64)  0x40003200 MCFG (60)  0x40003240 DSDT (36)
TEST(AcpiGolden, DevicesLayout) {
  AcpiTables tables = Build(DevicesConfig());
  EXPECT_EQ(tables.rsdt.size, 48u);
  EXPECT_EQ(tables.xsdt.size, 60u);
  EXPECT_EQ(tables.madt.offset, 0x1C0u);
  EXPECT_EQ(tables.madt.size, 64u);
  EXPECT_EQ(tables.mcfg.offset, 0x200u);
  EXPECT_EQ(tables.mcfg.size, 60u);
  EXPECT_EQ(tables.dsdt.offset, 0x240u);
  Bytes rsdt = Slice(tables, tables.rsdt);
  EXPECT_EQ(Read<uint32_t>(rsdt, 36), 0x400030A0u);  // FADT
  EXPECT_EQ(Read<uint32_t>(rsdt, 40), 0x400031C0u);  // MADT
  EXPECT_EQ(Read<uint32_t>(rsdt, 44), 0x40003200u);  // MCFG
  Bytes xsdt = Slice(tables, tables.xsdt);
  EXPECT_EQ(Read<uint64_t>(xsdt, 52), 0x40003200u);
}

TEST(AcpiGolden, Mcfg) {
  const Bytes golden = {
      'M',  'C',  'F',  'G',                           // Signature
      0x3C, 0x00, 0x00, 0x00,                          // Length 60
      0x01,                                            // Revision 1
      0xE3,                                            // Checksum
      'M',  'I',  'N',  'T',  ' ',  ' ',               // OEMID
      'M',  'I',  'N',  'T',  'N',  'O',  'D',  'E',   // OEM Table ID
      0x01, 0x00, 0x00, 0x00,                          // OEM Revision 1
      'M',  'I',  'N',  'T',                           // Creator ID
      0x01, 0x00, 0x00, 0x00,                          // Creator Revision 1
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // Reserved
      0x00, 0x00, 0x00, 0xB0, 0x00, 0x00, 0x00, 0x00,  // Base Address 0xB0000000 (bus 0)
      0x01, 0x00,                                      // PCI Segment Group 1
      0x01,                                            // Start Bus 1
      0x01,                                            // End Bus 1
      0x00, 0x00, 0x00, 0x00,                          // Reserved
  };
  AcpiTables tables = Build(DevicesConfig());
  EXPECT_EQ(Slice(tables, tables.mcfg), golden);
}

TEST(AcpiGolden, MadtWithAnOwnedIoApic) {
  AcpiTables tables = Build(DevicesConfig());
  Bytes madt = Slice(tables, tables.madt);
  const Bytes io_apic = {
      0x01, 0x0C,              // Type 1 (I/O APIC), Length 12
      0x01,                    // I/O APIC ID 1
      0x00,                    // Reserved
      0x00, 0x00, 0xC1, 0xFE,  // I/O APIC Address 0xFEC10000
      0x18, 0x00, 0x00, 0x00,  // Global System Interrupt Base 24
  };
  EXPECT_EQ(Bytes(madt.begin() + 52, madt.end()), io_apic);  // after the one local APIC
  auto summary = VerifyAcpiTables(tables.blob, tables.base, tables.rsdp_address);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->io_apics, DevicesConfig().io_apics);
  EXPECT_EQ(summary->ecam, DevicesConfig().ecam);
  EXPECT_EQ(summary->tables.size(), 4u);  // FACP, APIC, MCFG, DSDT
}

TEST(AcpiErrors, BadEcamAndIoApics) {
  AcpiNodeConfig config = DevicesConfig();
  config.ecam[0].start_bus = 2;
  EXPECT_NE(ErrorOf(config).find("buses 2-1"), std::string::npos);
  config = DevicesConfig();
  config.ecam[0].base = 0xB0001000;
  EXPECT_NE(ErrorOf(config).find("ECAM base 0xb0001000"), std::string::npos);
  config = DevicesConfig();
  config.io_apics.push_back(config.io_apics[0]);
  EXPECT_NE(ErrorOf(config).find("IO-APIC ID 1 is listed twice"), std::string::npos);
  config = DevicesConfig();
  config.io_apics[0].address = 0xFEC10040;
  EXPECT_NE(ErrorOf(config).find("4 KiB aligned"), std::string::npos);
}

TEST(AcpiTables, EveryChecksumSumsToZero) {
  for (const AcpiNodeConfig& config : VariedConfigs()) {
    AcpiTables tables = Build(config);
    Bytes rsdp = Slice(tables, tables.rsdp);
    EXPECT_EQ(AcpiByteSum(std::span(rsdp).first(kAcpiRsdpV1Length)), 0) << "RSDP checksum";
    EXPECT_EQ(AcpiByteSum(rsdp), 0) << "RSDP extended checksum";
    for (AcpiBlobRange range : {tables.rsdt, tables.xsdt, tables.fadt, tables.madt, tables.dsdt}) {
      EXPECT_EQ(AcpiByteSum(Slice(tables, range)), 0) << "table at offset " << range.offset;
    }
  }
}

TEST(AcpiTables, LengthsMatchHeaders) {
  for (const AcpiNodeConfig& config : VariedConfigs()) {
    AcpiTables tables = Build(config);
    const size_t cpus = config.apic_ids.size();
    EXPECT_EQ(tables.rsdp.size, 36u);
    EXPECT_EQ(Read<uint32_t>(tables.blob, tables.rsdp.offset + 20), 36u);
    EXPECT_EQ(tables.rsdt.size, 36u + 2 * 4);
    EXPECT_EQ(tables.xsdt.size, 36u + 2 * 8);
    EXPECT_EQ(tables.fadt.size, 276u);
    EXPECT_EQ(tables.madt.size, 44u + 8 * cpus);
    EXPECT_EQ(tables.dsdt.size, 36u + config.dsdt_aml.size());
    for (AcpiBlobRange range : {tables.rsdt, tables.xsdt, tables.fadt, tables.madt, tables.dsdt}) {
      EXPECT_EQ(Read<uint32_t>(tables.blob, range.offset + 4), range.size);
      EXPECT_EQ(range.offset % 16, 0u);
      EXPECT_LE(range.offset + range.size, tables.blob.size());
    }
    EXPECT_EQ(tables.blob.size(), tables.dsdt.offset + tables.dsdt.size);
  }
}

TEST(AcpiTables, PointersResolveToTheRightTables) {
  for (const AcpiNodeConfig& config : VariedConfigs()) {
    AcpiTables tables = Build(config);
    const Bytes& blob = tables.blob;
    auto signature_at = [&](uint64_t address) {
      EXPECT_GE(address, config.base);
      EXPECT_LE(address - config.base + 4, blob.size());
      return std::string(reinterpret_cast<const char*>(blob.data() + (address - config.base)), 4);
    };
    EXPECT_EQ(tables.rsdp_address, config.base + tables.rsdp.offset);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(blob.data()), 8), "RSD PTR ");
    uint32_t rsdt = Read<uint32_t>(blob, tables.rsdp.offset + 16);
    uint64_t xsdt = Read<uint64_t>(blob, tables.rsdp.offset + 24);
    EXPECT_EQ(rsdt, config.base + tables.rsdt.offset);
    EXPECT_EQ(xsdt, config.base + tables.xsdt.offset);
    EXPECT_EQ(signature_at(rsdt), "RSDT");
    EXPECT_EQ(signature_at(xsdt), "XSDT");
    const uint64_t fadt = config.base + tables.fadt.offset;
    const uint64_t madt = config.base + tables.madt.offset;
    EXPECT_EQ(Read<uint32_t>(blob, tables.rsdt.offset + 36), fadt);
    EXPECT_EQ(Read<uint32_t>(blob, tables.rsdt.offset + 40), madt);
    EXPECT_EQ(Read<uint64_t>(blob, tables.xsdt.offset + 36), fadt);
    EXPECT_EQ(Read<uint64_t>(blob, tables.xsdt.offset + 44), madt);
    EXPECT_EQ(signature_at(fadt), "FACP");
    EXPECT_EQ(signature_at(madt), "APIC");
    const uint64_t dsdt = config.base + tables.dsdt.offset;
    EXPECT_EQ(Read<uint32_t>(blob, tables.fadt.offset + offsetof(AcpiFadt, dsdt)), dsdt);
    EXPECT_EQ(Read<uint64_t>(blob, tables.fadt.offset + offsetof(AcpiFadt, x_dsdt)), dsdt);
    EXPECT_EQ(signature_at(dsdt), "DSDT");
  }
}

TEST(AcpiTables, MadtListsEveryCoreInOrderAndNothingElse) {
  AcpiNodeConfig config = SmallConfig();
  config.apic_ids = {3, 1, 7};
  AcpiTables tables = Build(config);
  Bytes madt = Slice(tables, tables.madt);
  EXPECT_EQ(Read<uint32_t>(madt, 36), kLocalApicAddress);
  EXPECT_EQ(Read<uint32_t>(madt, 40), 0u) << "PCAT_COMPAT would announce an 8259";
  ASSERT_EQ(madt.size(), 44u + 3 * 8);
  for (size_t i = 0; i < 3; ++i) {
    const size_t at = 44 + 8 * i;
    EXPECT_EQ(madt[at], kMadtTypeLocalApic);
    EXPECT_EQ(madt[at + 1], 8);
    EXPECT_EQ(madt[at + 2], i) << "ACPI processor UID";
    EXPECT_EQ(madt[at + 3], config.apic_ids[i]);
    EXPECT_EQ(Read<uint32_t>(madt, at + 4), kMadtLocalApicEnabled);
  }
}

TEST(AcpiTables, FadtIsHardwareReducedAndOtherwiseEmpty) {
  AcpiTables tables = Build(SmallConfig());
  Bytes fadt = Slice(tables, tables.fadt);
  EXPECT_EQ(Read<uint32_t>(fadt, 112), (1u << 20) | (1u << 19));
  EXPECT_EQ(Read<uint16_t>(fadt, 109), (1u << 2) | (1u << 5));
  EXPECT_EQ(fadt[8], 6) << "revision";
  EXPECT_EQ(fadt[131], 3) << "minor version";
  // Every byte after the header is zero except DSDT, IAPC_BOOT_ARCH, Flags, minor version and
  // X_DSDT.
  for (size_t i = sizeof(AcpiSdtHeader); i < fadt.size(); ++i) {
    bool set_field = (i >= 40 && i < 44) || (i >= 109 && i < 111) || (i >= 112 && i < 116) ||
                     i == 131 || (i >= 140 && i < 148);
    if (!set_field) {
      EXPECT_EQ(fadt[i], 0) << "FADT byte " << i;
    }
  }
}

TEST(AcpiTables, DsdtCarriesTheGivenAml) {
  AcpiNodeConfig config = SmallConfig();
  config.dsdt_aml = {0x10, 0x06, '\\', '_', 'S', 'B', '_'};  // Scope (\_SB) {}
  AcpiTables tables = Build(config);
  Bytes dsdt = Slice(tables, tables.dsdt);
  ASSERT_EQ(dsdt.size(), 36u + 7);
  EXPECT_EQ(Bytes(dsdt.begin() + 36, dsdt.end()), config.dsdt_aml);
  EXPECT_EQ(AcpiByteSum(dsdt), 0);
}

TEST(AcpiTables, OemFieldsArePaddedWithSpaces) {
  AcpiNodeConfig config = SmallConfig();
  config.oem_id = "AB";
  config.oem_table_id = "NODE1";
  config.oem_revision = 0x01020304;
  AcpiTables tables = Build(config);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(tables.blob.data() + 9), 6), "AB    ");
  for (AcpiBlobRange range : {tables.rsdt, tables.xsdt, tables.fadt, tables.madt, tables.dsdt}) {
    const char* header = reinterpret_cast<const char*>(tables.blob.data() + range.offset);
    EXPECT_EQ(std::string(header + 10, 6), "AB    ");
    EXPECT_EQ(std::string(header + 16, 8), "NODE1   ");
    EXPECT_EQ(Read<uint32_t>(tables.blob, range.offset + 24), 0x01020304u);
    EXPECT_EQ(std::string(header + 28, 4), "MINT");
  }
}

TEST(AcpiTables, LargestNodeFitsRightBelow4GiB) {
  AcpiNodeConfig config;
  for (uint32_t id = 0; id <= kMaxXapicId; ++id) {
    config.apic_ids.push_back(id);
  }
  config.base = 0x1000;
  const uint64_t size = Build(config).blob.size();
  // The highest 16-byte aligned base that keeps the last byte below 4 GiB works...
  config.base = ((uint64_t{1} << 32) - size) & ~uint64_t{15};
  AcpiTables tables = Build(config);
  EXPECT_LE(tables.base + tables.blob.size(), uint64_t{1} << 32);
  EXPECT_EQ(
      tables.blob[tables.madt.offset + sizeof(AcpiMadt) + 254 * sizeof(AcpiMadtLocalApic) + 2], 254)
      << "last UID";
  // ...and the next one does not.
  config.base += 16;
  EXPECT_NE(ErrorOf(config).find("ends above 4 GiB"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Refused configs: each error names the value.
// ---------------------------------------------------------------------------------------------

TEST(AcpiErrors, NoCores) {
  AcpiNodeConfig config = SmallConfig();
  config.apic_ids.clear();
  EXPECT_NE(ErrorOf(config).find("no APIC IDs"), std::string::npos);
}

TEST(AcpiErrors, DuplicateApicId) {
  AcpiNodeConfig config = SmallConfig();
  config.apic_ids = {1, 2, 1};
  std::string error = ErrorOf(config);
  EXPECT_NE(error.find("APIC ID 1 is listed twice"), std::string::npos) << error;
  EXPECT_NE(error.find("cpus[2]"), std::string::npos) << error;
}

TEST(AcpiErrors, BroadcastApicId) {
  AcpiNodeConfig config = SmallConfig();
  config.apic_ids = {1, 255};
  std::string error = ErrorOf(config);
  EXPECT_NE(error.find("APIC ID 255 (cpus[1]) is above 254"), std::string::npos) << error;
  EXPECT_NE(error.find("broadcast"), std::string::npos) << error;
}

TEST(AcpiErrors, X2ApicId) {
  AcpiNodeConfig config = SmallConfig();
  config.apic_ids = {4096};
  EXPECT_NE(ErrorOf(config).find("APIC ID 4096"), std::string::npos);
}

TEST(AcpiErrors, UnalignedBase) {
  AcpiNodeConfig config = SmallConfig();
  config.base = 0x40003008;
  std::string error = ErrorOf(config);
  EXPECT_NE(error.find("base 0x40003008 is not 16-byte aligned"), std::string::npos) << error;
  EXPECT_NE(error.find("0x40003000 or 0x40003010"), std::string::npos) << error;
}

TEST(AcpiErrors, ZeroBase) {
  AcpiNodeConfig config = SmallConfig();
  config.base = 0;
  EXPECT_NE(ErrorOf(config).find("base 0x0"), std::string::npos);
}

TEST(AcpiErrors, TablesAbove4GiB) {
  AcpiNodeConfig config = SmallConfig();
  config.base = 0x100000000;
  std::string error = ErrorOf(config);
  EXPECT_NE(error.find("base 0x100000000"), std::string::npos) << error;
  EXPECT_NE(error.find("32-bit"), std::string::npos) << error;
  // Starting below 4 GiB is not enough: the end must be below it too.
  config.base = 0xFFFFFF00;
  EXPECT_NE(ErrorOf(config).find("base 0xffffff00 + 0x224 bytes"), std::string::npos);
  // And the sum must not wrap around.
  config.base = 0xFFFFFFFFFFFFFFF0;
  EXPECT_NE(ErrorOf(config).find("above 4 GiB"), std::string::npos);
}

TEST(AcpiErrors, BadOemIds) {
  AcpiNodeConfig config = SmallConfig();
  config.oem_id = "TOOLONG";
  EXPECT_NE(ErrorOf(config).find("oem_id \"TOOLONG\" must be 1 to 6"), std::string::npos);
  config.oem_id = "";
  EXPECT_NE(ErrorOf(config).find("oem_id \"\" must be 1 to 6"), std::string::npos);
  config.oem_id = "MI\nT";
  EXPECT_NE(ErrorOf(config).find("printable ASCII (found byte 0xa)"), std::string::npos);
  config = SmallConfig();
  config.oem_table_id = "NINECHARS";
  EXPECT_NE(ErrorOf(config).find("oem_table_id \"NINECHARS\" must be 1 to 8"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Outside check: Debian's acpica-tools (iasl 20200925) must decode every table cleanly.
// ---------------------------------------------------------------------------------------------

using CommandResult = testing::ShellResult;
using testing::RunShell;

// A line that reports a problem. iasl's compile summary ("0 Errors, 0 Warnings") is not one.
std::vector<std::string> Diagnostics(const std::string& text) {
  std::vector<std::string> found;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("0 Errors, 0 Warnings") != std::string::npos) {
      continue;
    }
    for (const char* word :
         {"Error", "Warning", "error", "warning", "Invalid", "invalid", "****"}) {
      if (line.find(word) != std::string::npos) {
        found.push_back(line);
        break;
      }
    }
  }
  return found;
}

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Bytes ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void WriteBytes(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

class AcpiIasl : public ::testing::Test {
 protected:
  void SetUp() override {
    if (RunShell("command -v iasl").status != 0) {
      GTEST_SKIP() << "iasl is not installed, so the generated tables are not checked by an "
                      "outside decoder; install Debian's acpica-tools (scripts/setup does)";
    }
    char dir_template[] = "/tmp/mint_acpi_test_XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override {
    if (!dir_.empty() && !HasFailure()) {
      std::filesystem::remove_all(dir_);
    }
  }

  // Runs iasl with `arguments` inside the temp dir and expects a clean run.
  CommandResult Iasl(const std::string& arguments) {
    CommandResult result = RunShell("cd '" + dir_.string() + "' && iasl " + arguments);
    EXPECT_EQ(result.status, 0) << "iasl " << arguments << ":\n" << result.output;
    EXPECT_EQ(Diagnostics(result.output), std::vector<std::string>{})
        << "iasl " << arguments << ":\n"
        << result.output;
    return result;
  }

  // Disassembles one table and checks both iasl's report and the .dsl it wrote.
  void Disassemble(const std::string& name, const Bytes& table) {
    WriteBytes(dir_ / name, table);
    CommandResult result = Iasl("-d " + name);
    std::filesystem::path dsl = dir_ / std::filesystem::path(name).replace_extension(".dsl");
    ASSERT_TRUE(std::filesystem::exists(dsl)) << result.output;
    EXPECT_EQ(Diagnostics(ReadText(dsl)), std::vector<std::string>{}) << ReadText(dsl);
  }

  // Compiles `dsl` (in the temp dir) to `<prefix>.aml` and returns the bytes.
  Bytes Compile(const std::string& dsl, const std::string& prefix) {
    CommandResult result = Iasl("-p " + prefix + " " + dsl);
    EXPECT_NE(result.output.find("Compilation successful"), std::string::npos) << result.output;
    return ReadBytes(dir_ / (prefix + ".aml"));
  }

  // iasl's compiler writes its own Creator ID ("INTL") and Revision (its version) and so a new
  // checksum; every other byte must come back unchanged.
  static void ExpectSameTable(const Bytes& compiled, const Bytes& original,
                              const std::string& name) {
    ASSERT_EQ(compiled.size(), original.size()) << name;
    for (size_t i = 0; i < original.size(); ++i) {
      bool iasl_writes = i == offsetof(AcpiSdtHeader, checksum) ||
                         (i >= offsetof(AcpiSdtHeader, creator_id) && i < sizeof(AcpiSdtHeader));
      if (!iasl_writes) {
        EXPECT_EQ(compiled[i], original[i]) << name << " byte " << i;
      }
    }
    EXPECT_EQ(AcpiByteSum(compiled), 0) << name;
  }

  std::filesystem::path dir_;
};

TEST_F(AcpiIasl, DisassemblesEveryTableCleanly) {
  for (const AcpiNodeConfig& config : VariedConfigs()) {
    AcpiTables tables = Build(config);
    Disassemble("rsdt.dat", Slice(tables, tables.rsdt));
    Disassemble("xsdt.dat", Slice(tables, tables.xsdt));
    Disassemble("facp.dat", Slice(tables, tables.fadt));
    Disassemble("apic.dat", Slice(tables, tables.madt));
    if (tables.mcfg.size != 0) {
      Disassemble("mcfg.dat", Slice(tables, tables.mcfg));
    }
    Disassemble("dsdt.dat", Slice(tables, tables.dsdt));
  }
}

// iasl 20200925 cannot load a binary RSDP ("Binary file does not contain a valid ACPI table":
// acfileio.c says "Loading an RSDP is not supported"), but its data-table compiler knows the
// RSDP layout and computes both checksums. Compiling the readable form must give our bytes.
TEST_F(AcpiIasl, CompilesTheRsdpToTheSameBytes) {
  AcpiTables tables = Build(SmallConfig());
  std::ofstream(dir_ / "rsdp.asl") << "[0008] Signature : \"RSD PTR \"\n"
                                      "[0001] Checksum : 00\n"
                                      "[0006] Oem ID : \"MINT  \"\n"
                                      "[0001] Revision : 02\n"
                                      "[0004] RSDT Address : 40003030\n"
                                      "[0004] Length : 00000024\n"
                                      "[0008] XSDT Address : 0000000040003060\n"
                                      "[0001] Extended Checksum : 00\n"
                                      "[0003] Reserved : 000000\n";
  EXPECT_EQ(Compile("rsdp.asl", "rsdp_compiled"), Slice(tables, tables.rsdp));
}

TEST_F(AcpiIasl, DataTablesRoundTripThroughIasl) {
  for (const AcpiNodeConfig& config : VariedConfigs()) {
    AcpiTables tables = Build(config);
    for (auto [name, range] : {std::pair{"rsdt", tables.rsdt}, std::pair{"xsdt", tables.xsdt},
                               std::pair{"facp", tables.fadt}, std::pair{"apic", tables.madt},
                               std::pair{"mcfg", tables.mcfg}}) {
      if (range.size == 0) {
        continue;  // no MCFG
      }
      Bytes original = Slice(tables, range);
      Disassemble(std::string(name) + ".dat", original);
      ExpectSameTable(Compile(std::string(name) + ".dsl", std::string(name) + "_compiled"),
                      original, name);
    }
  }
}

TEST_F(AcpiIasl, DevicesTablesRoundTripThroughIasl) {
  AcpiNodeConfig config = DevicesConfig();
  config.ecam.push_back({.base = 0x3000000000, .segment = 2, .start_bus = 0, .end_bus = 255});
  AcpiTables tables = Build(config);
  for (auto [name, range] : {std::pair{"rsdt", tables.rsdt}, std::pair{"xsdt", tables.xsdt},
                             std::pair{"apic", tables.madt}, std::pair{"mcfg", tables.mcfg}}) {
    Bytes original = Slice(tables, range);
    Disassemble(std::string(name) + ".dat", original);
    ExpectSameTable(Compile(std::string(name) + ".dsl", std::string(name) + "_compiled"), original,
                    name);
  }
  EXPECT_NE(ReadText(dir_ / "mcfg.dsl").find("Base Address : 0000003000000000"), std::string::npos)
      << ReadText(dir_ / "mcfg.dsl");
  EXPECT_NE(ReadText(dir_ / "apic.dsl").find("Interrupt : 00000018"), std::string::npos)
      << ReadText(dir_ / "apic.dsl");
}

TEST_F(AcpiIasl, DsdtWithAmlRoundTripsThroughIasl) {
  AcpiNodeConfig config = VariedConfigs().back();  // the one with an _S5 package
  ASSERT_FALSE(config.dsdt_aml.empty());
  AcpiTables tables = Build(config);
  Bytes original = Slice(tables, tables.dsdt);
  Disassemble("dsdt.dat", original);
  EXPECT_NE(ReadText(dir_ / "dsdt.dsl").find("Name (_S5, Package (0x04)"), std::string::npos);
  ExpectSameTable(Compile("dsdt.dsl", "dsdt_compiled"), original, "DSDT");
}

TEST_F(AcpiIasl, EmptyDsdtRoundTripsThroughIasl) {
  AcpiTables tables = Build(SmallConfig());
  Bytes original = Slice(tables, tables.dsdt);
  Disassemble("dsdt.dat", original);
  std::string dsl = ReadText(dir_ / "dsdt.dsl");
  EXPECT_NE(dsl.find("DefinitionBlock (\"\", \"DSDT\", 2, \"MINT  \", \"MINTNODE\", 0x00000001)"),
            std::string::npos)
      << dsl;
  // iasl up to at least 20251212 drops the closing brace of an empty DefinitionBlock when it
  // disassembles one (open-acpica/acpica issue #1068); add it back so the rest is checked.
  if (dsl.size() >= 2 && dsl.compare(dsl.size() - 2, 2, "{\n") == 0) {
    std::ofstream(dir_ / "dsdt.dsl", std::ios::app) << "}\n";
  }
  ExpectSameTable(Compile("dsdt.dsl", "dsdt_compiled"), original, "DSDT");
}

}  // namespace
}  // namespace mint
