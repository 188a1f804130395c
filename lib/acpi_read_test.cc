#include "acpi_read.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "acpi_build.h"
#include "acpi_testing.h"

namespace mint {
namespace {

using Bytes = std::vector<uint8_t>;
using testing::Build;
using testing::Read;
using testing::SmallConfig;
using testing::VariedConfigs;

// ---------------------------------------------------------------------------------------------
// The MADT walker both MADT readers use (the verifier here, ParseMadt in inventory.cc).
// ---------------------------------------------------------------------------------------------

// The MADT the builder writes for cores 1 and 2 and one IO-APIC: 44 + 8 + 8 + 12 bytes.
Bytes TwoCoresAndAnIoApic() {
  AcpiNodeConfig config = SmallConfig();
  config.apic_ids = {1, 2};
  config.io_apics = {{.id = 2, .address = 0xFEC10000, .gsi_base = 24}};
  AcpiTables tables = Build(config);
  return Bytes(tables.blob.begin() + static_cast<ptrdiff_t>(tables.madt.offset),
               tables.blob.begin() + static_cast<ptrdiff_t>(tables.madt.offset + tables.madt.size));
}

TEST(MadtEntryReader, WalksEveryStructureInOrder) {
  Bytes madt = TwoCoresAndAnIoApic();
  ASSERT_EQ(madt.size(), 72u);
  MadtEntryReader entries(madt);
  std::vector<std::tuple<size_t, uint8_t, size_t>> seen;
  while (auto entry = entries.Next()) {
    seen.emplace_back(entry->offset, entry->type, entry->bytes.size());
    EXPECT_EQ(entry->bytes.data(), madt.data() + entry->offset);
  }
  EXPECT_FALSE(entries.fault().has_value());
  EXPECT_EQ(seen, (std::vector<std::tuple<size_t, uint8_t, size_t>>{{44, kMadtTypeLocalApic, 8},
                                                                    {52, kMadtTypeLocalApic, 8},
                                                                    {60, kMadtTypeIoApic, 12}}));
  EXPECT_FALSE(entries.Next().has_value());  // stays at the end
}

TEST(MadtEntryReader, ReadsAStructureOnlyWhenItIsLongEnough) {
  Bytes madt = TwoCoresAndAnIoApic();
  MadtEntryReader entries(madt);
  auto first = entries.Next();
  ASSERT_TRUE(first.has_value());
  auto lapic = first->As<AcpiMadtLocalApic>();
  ASSERT_TRUE(lapic.has_value());
  EXPECT_EQ(lapic->apic_id, 1);
  EXPECT_EQ(lapic->flags, kMadtLocalApicEnabled);
  // An 8-byte structure is not an IO-APIC (12 bytes), even though the table goes on after it.
  EXPECT_FALSE(first->As<AcpiMadtIoApic>().has_value());
}

TEST(MadtEntryReader, StopsAtAStructureHeaderCutOff) {
  Bytes madt = TwoCoresAndAnIoApic();
  madt.push_back(kMadtTypeLocalApic);  // one byte: no room for the length
  MadtEntryReader entries(madt);
  size_t count = 0;
  while (entries.Next()) ++count;
  EXPECT_EQ(count, 3u);
  ASSERT_TRUE(entries.fault().has_value());
  EXPECT_EQ(entries.fault()->kind, MadtFault::Kind::kCutOff);
  EXPECT_EQ(entries.fault()->offset, 72u);
  EXPECT_FALSE(entries.Next().has_value());
}

TEST(MadtEntryReader, StopsAtALengthThatIsTooSmallOrRunsPastTheTable) {
  // The second core's structure starts at 52, 20 bytes before the end of the table.
  for (uint8_t length : std::vector<uint8_t>{0, 1, 21, 255}) {
    Bytes madt = TwoCoresAndAnIoApic();
    madt[52 + 1] = length;
    MadtEntryReader entries(madt);
    auto first = entries.Next();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->offset, 44u);
    EXPECT_FALSE(entries.Next().has_value()) << int{length};
    ASSERT_TRUE(entries.fault().has_value());
    EXPECT_EQ(entries.fault()->kind, MadtFault::Kind::kBadLength);
    EXPECT_EQ(entries.fault()->offset, 52u);
    EXPECT_EQ(entries.fault()->type, kMadtTypeLocalApic);
    EXPECT_EQ(entries.fault()->length, length);
  }
  // Exactly to the end of the table is fine: one 20-byte structure, then the end.
  Bytes madt = TwoCoresAndAnIoApic();
  madt[52 + 1] = 20;
  MadtEntryReader entries(madt);
  ASSERT_TRUE(entries.Next().has_value());
  auto last = entries.Next();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->bytes.size(), 20u);
  EXPECT_FALSE(entries.Next().has_value());
  EXPECT_FALSE(entries.fault().has_value());
}

TEST(MadtEntryReader, ATableShorterThanItsFixedPartHasNoStructures) {
  Bytes madt = TwoCoresAndAnIoApic();
  madt.resize(sizeof(AcpiMadt) - 1);
  MadtEntryReader entries(madt);
  EXPECT_FALSE(entries.Next().has_value());
  ASSERT_TRUE(entries.fault().has_value());
  EXPECT_EQ(entries.fault()->kind, MadtFault::Kind::kCutOff);
  EXPECT_EQ(entries.fault()->offset, 0u);

  madt.resize(sizeof(AcpiMadt));  // the fixed part and nothing after it: an empty walk
  MadtEntryReader empty(madt);
  EXPECT_FALSE(empty.Next().has_value());
  EXPECT_FALSE(empty.fault().has_value());
}

// ---------------------------------------------------------------------------------------------
// The verifier, over tables the builder made and then damaged.
// ---------------------------------------------------------------------------------------------

std::string VerifyError(const Bytes& blob, uint64_t base, uint64_t rsdp_address) {
  auto summary = VerifyAcpiTables(blob, base, rsdp_address);
  EXPECT_FALSE(summary.ok());
  return summary.ok() ? std::string() : summary.error().message;
}

// Rewrites the checksum of the table at `offset` after a test changed it, so that only the
// change under test is wrong.
void FixChecksum(Bytes& blob, size_t offset) {
  uint32_t length = Read<uint32_t>(blob, offset + 4);
  blob[offset + 9] = 0;
  blob[offset + 9] = static_cast<uint8_t>(
      0x100 - AcpiByteSum(std::span<const uint8_t>(blob).subspan(offset, length)));
}

TEST(AcpiVerify, AcceptsWhatTheBuilderMakes) {
  for (const AcpiNodeConfig& config : VariedConfigs()) {
    AcpiTables tables = Build(config);
    auto summary = VerifyAcpiTables(tables.blob, tables.base, tables.rsdp_address);
    ASSERT_TRUE(summary.ok()) << summary.error().message;
    EXPECT_EQ(summary->rsdp_revision, 2);
    EXPECT_TRUE(summary->has_xsdt);
    ASSERT_EQ(summary->tables.size(), 3u);
    EXPECT_EQ(summary->tables[0].signature, "FACP");
    EXPECT_EQ(summary->tables[1].signature, "APIC");
    EXPECT_EQ(summary->tables[2].signature, "DSDT");
    EXPECT_EQ(summary->tables[2].address, config.base + tables.dsdt.offset);
    EXPECT_EQ(summary->fadt_flags, kFadtHwReducedAcpi | kFadtForceApicPhysicalDestinationMode);
    EXPECT_EQ(summary->iapc_boot_arch, kFadtBootArchVgaNotPresent | kFadtBootArchCmosRtcNotPresent);
    EXPECT_EQ(summary->madt_flags, 0u);
    EXPECT_EQ(summary->local_apic_address, kLocalApicAddress);
    EXPECT_EQ(summary->enabled_apic_ids, config.apic_ids);
    EXPECT_EQ(summary->io_apic_count, 0u);
  }
}

TEST(AcpiVerify, RejectsEveryBadChecksum) {
  AcpiTables tables = Build(SmallConfig());
  for (AcpiBlobRange range : {tables.rsdt, tables.xsdt, tables.fadt, tables.madt, tables.dsdt}) {
    Bytes blob = tables.blob;
    blob[range.offset + range.size - 1] ^= 0x01;
    std::string error = VerifyError(blob, tables.base, tables.rsdp_address);
    EXPECT_NE(error.find("bad checksum"), std::string::npos) << error;
  }
  Bytes blob = tables.blob;
  blob[offsetof(AcpiRsdp, rsdt_address)] ^= 0x01;
  EXPECT_NE(VerifyError(blob, tables.base, tables.rsdp_address)
                .find("RSDP at 0x40003000 has a bad checksum"),
            std::string::npos);
  blob = tables.blob;
  blob[offsetof(AcpiRsdp, reserved)] = 1;  // outside the first 20 bytes
  EXPECT_NE(VerifyError(blob, tables.base, tables.rsdp_address).find("bad extended checksum"),
            std::string::npos);
}

TEST(AcpiVerify, RejectsAMissingRsdp) {
  AcpiTables tables = Build(SmallConfig());
  EXPECT_NE(VerifyError(tables.blob, tables.base, tables.base + 0x30).find("no \"RSD PTR \""),
            std::string::npos);
  EXPECT_NE(VerifyError(tables.blob, tables.base, 0x1000).find("not inside the tables"),
            std::string::npos);
  EXPECT_NE(VerifyError(tables.blob, tables.base, tables.base + tables.blob.size() - 4)
                .find("not inside the tables"),
            std::string::npos);
}

TEST(AcpiVerify, RejectsPointersOutsideTheBlob) {
  AcpiTables tables = Build(SmallConfig());
  Bytes blob = tables.blob;
  // The MADT entry of the XSDT (and of the RSDT, so that both still agree) points past the end.
  const uint32_t outside = 0x40010000;
  std::memcpy(blob.data() + tables.rsdt.offset + 40, &outside, 4);
  std::memcpy(blob.data() + tables.xsdt.offset + 44, &outside, 4);
  FixChecksum(blob, tables.rsdt.offset);
  FixChecksum(blob, tables.xsdt.offset);
  std::string error = VerifyError(blob, tables.base, tables.rsdp_address);
  EXPECT_NE(error.find("at 0x40010000 is not inside the tables"), std::string::npos) << error;
}

TEST(AcpiVerify, RejectsRsdtAndXsdtThatDisagree) {
  AcpiTables tables = Build(SmallConfig());
  Bytes blob = tables.blob;
  const uint32_t fadt = static_cast<uint32_t>(tables.base + tables.fadt.offset);
  std::memcpy(blob.data() + tables.rsdt.offset + 40, &fadt, 4);  // FADT twice in the RSDT
  FixChecksum(blob, tables.rsdt.offset);
  std::string error = VerifyError(blob, tables.base, tables.rsdp_address);
  EXPECT_NE(error.find("list different tables"), std::string::npos) << error;
}

TEST(AcpiVerify, RejectsATableListedTwice) {
  AcpiTables tables = Build(SmallConfig());
  Bytes blob = tables.blob;
  const uint64_t fadt = tables.base + tables.fadt.offset;
  std::memcpy(blob.data() + tables.rsdt.offset + 40, &fadt, 4);
  std::memcpy(blob.data() + tables.xsdt.offset + 44, &fadt, 8);
  FixChecksum(blob, tables.rsdt.offset);
  FixChecksum(blob, tables.xsdt.offset);
  std::string error = VerifyError(blob, tables.base, tables.rsdp_address);
  EXPECT_NE(error.find("two FACP tables (0x400030a0 and 0x400030a0)"), std::string::npos) << error;
}

TEST(AcpiVerify, RejectsFadtPointingAtTwoDsdts) {
  AcpiTables tables = Build(SmallConfig());
  Bytes blob = tables.blob;
  blob[tables.fadt.offset + offsetof(AcpiFadt, x_dsdt)] ^= 0x10;
  FixChecksum(blob, tables.fadt.offset);
  std::string error = VerifyError(blob, tables.base, tables.rsdp_address);
  EXPECT_NE(error.find("points at two DSDTs"), std::string::npos) << error;
}

TEST(AcpiVerify, RejectsDsdtOfTheWrongKind) {
  AcpiTables tables = Build(SmallConfig());
  Bytes blob = tables.blob;
  const uint32_t madt = static_cast<uint32_t>(tables.base + tables.madt.offset);
  const uint64_t x_madt = madt;
  std::memcpy(blob.data() + tables.fadt.offset + offsetof(AcpiFadt, dsdt), &madt, 4);
  std::memcpy(blob.data() + tables.fadt.offset + offsetof(AcpiFadt, x_dsdt), &x_madt, 8);
  FixChecksum(blob, tables.fadt.offset);
  std::string error = VerifyError(blob, tables.base, tables.rsdp_address);
  EXPECT_NE(error.find("has signature \"APIC\", expected \"DSDT\""), std::string::npos) << error;
}

TEST(AcpiVerify, RejectsBadMadtEntries) {
  AcpiNodeConfig config = SmallConfig();
  config.apic_ids = {1, 2};
  AcpiTables tables = Build(config);
  const size_t second = tables.madt.offset + sizeof(AcpiMadt) + 8;

  Bytes blob = tables.blob;
  blob[second + 3] = 1;  // APIC ID 2 -> 1
  FixChecksum(blob, tables.madt.offset);
  EXPECT_NE(
      VerifyError(blob, tables.base, tables.rsdp_address).find("enables APIC ID 1 a second time"),
      std::string::npos);

  blob = tables.blob;
  blob[second + 1] = 0;  // entry length 0 would loop forever
  FixChecksum(blob, tables.madt.offset);
  EXPECT_NE(VerifyError(blob, tables.base, tables.rsdp_address).find("has length 0"),
            std::string::npos);

  blob = tables.blob;
  blob[second + 1] = 9;  // runs past the table
  FixChecksum(blob, tables.madt.offset);
  EXPECT_NE(VerifyError(blob, tables.base, tables.rsdp_address).find("does not fit the table"),
            std::string::npos);
}

TEST(AcpiVerify, CountsIoApicsAndSkipsDisabledCores) {
  AcpiNodeConfig config = SmallConfig();
  config.apic_ids = {1, 2};
  AcpiTables tables = Build(config);
  Bytes blob = tables.blob;
  const size_t second = tables.madt.offset + sizeof(AcpiMadt) + 8;
  blob[second + 4] = 0;  // core 2 disabled
  FixChecksum(blob, tables.madt.offset);
  auto summary = VerifyAcpiTables(blob, tables.base, tables.rsdp_address);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->enabled_apic_ids, std::vector<uint32_t>{1});

  config.io_apics = {{.id = 2, .address = 0xFEC10000, .gsi_base = 24}};
  tables = Build(config);
  summary = VerifyAcpiTables(tables.blob, tables.base, tables.rsdp_address);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->io_apic_count, 1u);
  EXPECT_EQ(summary->io_apics, config.io_apics);
  EXPECT_EQ(summary->enabled_apic_ids, (std::vector<uint32_t>{1, 2}));

  blob = tables.blob;
  blob[second] = kMadtTypeIoApic;  // an 8-byte IO-APIC-typed entry: malformed
  FixChecksum(blob, tables.madt.offset);
  summary = VerifyAcpiTables(blob, tables.base, tables.rsdp_address);
  ASSERT_FALSE(summary.ok());
  EXPECT_NE(summary.error().message.find("IO-APIC entry at"), std::string::npos);
}

TEST(AcpiVerify, RejectsTruncatedBlobs) {
  AcpiTables tables = Build(SmallConfig());
  for (size_t size = 0; size < tables.blob.size(); ++size) {
    Bytes blob(tables.blob.begin(), tables.blob.begin() + static_cast<ptrdiff_t>(size));
    EXPECT_FALSE(VerifyAcpiTables(blob, tables.base, tables.rsdp_address).ok()) << size;
  }
}

TEST(AcpiVerify, RejectsABaseThatWraps) {
  Bytes blob(64, 0);
  EXPECT_NE(VerifyError(blob, 0xFFFFFFFFFFFFFFF0, 0xFFFFFFFFFFFFFFF0).find("above 2^64"),
            std::string::npos);
}

}  // namespace
}  // namespace mint
