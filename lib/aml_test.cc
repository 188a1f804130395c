#include "aml.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "acpi_build.h"
#include "iasl_testing.h"

namespace mint {
namespace {

using Bytes = std::vector<uint8_t>;
using testing::HaveIasl;
using testing::ScratchDir;

Bytes Encoded(const std::vector<aml::Term>& terms) {
  auto bytes = aml::Encode(terms);
  EXPECT_TRUE(bytes.ok()) << (bytes.ok() ? "" : bytes.error().message);
  return bytes.ok() ? std::move(bytes).value() : Bytes{};
}

Bytes Encoded(const aml::Term& term) {
  return Encoded(std::vector<aml::Term>{term});
}

std::string ErrorOf(const aml::Term& term) {
  auto bytes = aml::Encode({term});
  EXPECT_FALSE(bytes.ok());
  return bytes.ok() ? std::string() : bytes.error().message;
}

// What iasl makes of `asl` (the body of a definition block): the AML after the table header,
// or nullopt without iasl. Each golden test below compiles the ASL it shows beside its bytes,
// so the readable form is checked by an outside tool, not only by the eye.
std::optional<Bytes> IaslCompiles(const std::string& asl) {
  if (!HaveIasl()) {
    return std::nullopt;
  }
  ScratchDir dir;
  dir.Write("golden.asl",
            "DefinitionBlock (\"\", \"DSDT\", 2, \"MINT\", \"MINTNODE\", 1)\n{\n" + asl + "\n}\n");
  testing::ShellResult result = dir.Iasl("-p golden golden.asl");
  EXPECT_EQ(result.status, 0) << result.output;
  Bytes table = dir.ReadBytes("golden.aml");
  if (table.size() < sizeof(AcpiSdtHeader)) {
    ADD_FAILURE() << "iasl wrote no table:\n" << result.output;
    dir.Keep();
    return Bytes{};
  }
  return Bytes(table.begin() + sizeof(AcpiSdtHeader), table.end());
}

// "08 5F 53 33 ...", 16 bytes a line: what a mismatch prints.
std::string Dump(const Bytes& bytes) {
  std::string text;
  char byte[4];
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(byte, sizeof(byte), "%02X", bytes[i]);
    text += byte;
    text += (i % 16 == 15) ? "\n" : " ";
  }
  return text;
}

// Checks our bytes against the golden bytes and, where iasl is installed, iasl's bytes for the
// ASL beside them.
void ExpectGolden(const Bytes& ours, const Bytes& golden, const std::string& asl) {
  EXPECT_TRUE(ours == golden) << "ours:\n"
                              << Dump(ours) << "\ngolden:\n"
                              << Dump(golden) << "\n"
                              << asl;
  if (auto compiled = IaslCompiles(asl)) {
    EXPECT_TRUE(*compiled == golden) << "iasl:\n"
                                     << Dump(*compiled) << "\ngolden:\n"
                                     << Dump(golden) << "\n"
                                     << asl;
  }
}

// ---------------------------------------------------------------------------------------------
// Golden bytes, ASL beside them.
// ---------------------------------------------------------------------------------------------

TEST(AmlGolden, SleepPackage) {
  const char* asl = "Name (_S3, Package () { 5, 5 })";
  const Bytes golden = {
      0x08, '_',  'S',  '3', '_',  // Name (_S3,
      0x12, 0x06, 0x02,            //   Package, PkgLength 6, 2 elements
      0x0A, 0x05,                  //   BytePrefix 5
      0x0A, 0x05,                  //   BytePrefix 5
  };
  ExpectGolden(Encoded(aml::Name("_S3", aml::Package({5, 5}))), golden, asl);
}

TEST(AmlGolden, IntegersTakeTheShortestForm) {
  const char* asl =
      "Name (I0, 0)\n"
      "Name (I1, 1)\n"
      "Name (I2, 0xFF)\n"
      "Name (I3, 0x100)\n"
      "Name (I4, 0x10000)\n"
      "Name (I5, 0x100000000)\n"
      "Name (I6, 0xFFFFFFFFFFFFFFFF)\n"
      "Name (I7, 0xFFFFFFFF)";
  const Bytes golden = {
      0x08, 'I',  '0',  '_',  '_',  0x00,                    // Zero
      0x08, 'I',  '1',  '_',  '_',  0x01,                    // One
      0x08, 'I',  '2',  '_',  '_',  0x0A, 0xFF,              // BytePrefix
      0x08, 'I',  '3',  '_',  '_',  0x0B, 0x00, 0x01,        // WordPrefix
      0x08, 'I',  '4',  '_',  '_',  0x0C, 0x00, 0x00, 0x01,  // DWordPrefix
      0x00, 0x08, 'I',  '5',  '_',  '_',  0x0E, 0x00, 0x00,  // QWordPrefix
      0x00, 0x00, 0x01, 0x00, 0x00, 0x00,                    //
      0x08, 'I',  '6',  '_',  '_',  0xFF,                    // Ones (64-bit integers)
      0x08, 'I',  '7',  '_',  '_',  0x0C, 0xFF, 0xFF, 0xFF,  // DWordPrefix
      0xFF,
  };
  ExpectGolden(Encoded({aml::Name("I0", 0), aml::Name("I1", 1), aml::Name("I2", 0xFF),
                        aml::Name("I3", 0x100), aml::Name("I4", 0x10000),
                        aml::Name("I5", uint64_t{0x100000000}), aml::Name("I6", UINT64_MAX),
                        aml::Name("I7", uint32_t{0xFFFFFFFF})}),
               golden, asl);
}

TEST(AmlGolden, StringsBuffersAndNestedPackages) {
  const char* asl =
      "Name (STR, \"LNRO0005\")\n"
      "Name (BUF, Buffer () { 1, 2, 3 })\n"
      "Name (PKG, Package () { \"a\", Package () { 0x10 }, Buffer () { 7 } })";
  const Bytes golden = {
      0x08, 'S',  'T',  'R',  '_',                               // Name (STR,
      0x0D, 'L',  'N',  'R',  'O',  '0',  '0',  '0', '5', 0x00,  //   "LNRO0005"
      0x08, 'B',  'U',  'F',  '_',                               // Name (BUF,
      0x11, 0x06, 0x0A, 0x03, 0x01, 0x02, 0x03,                  //   Buffer, size 3
      0x08, 'P',  'K',  'G',  '_',                               // Name (PKG,
      0x12, 0x0E, 0x03,                                          //   Package, 3 elements
      0x0D, 'a',  0x00,                                          //     "a"
      0x12, 0x04, 0x01, 0x0A, 0x10,                              //     Package { 0x10 }
      0x11, 0x03, 0x01, 0x07,                                    //     Buffer { 7 }: size One
  };
  ExpectGolden(
      Encoded({aml::Name("STR", aml::String("LNRO0005")), aml::Name("BUF", aml::Buffer({1, 2, 3})),
               aml::Name("PKG", aml::Package(
                                    {aml::String("a"), aml::Package({0x10}), aml::Buffer({7})}))}),
      golden, asl);
}

// iasl drops a root prefix wherever it changes nothing, so the root one is shown inside a scope.
TEST(AmlGolden, NamePaths) {
  const char* asl =
      "Scope (_SB) { Device (PC01) { Name (_ADR, Zero) Name (\\ROOT, 1) } }\n"
      "Name (_SB.PC01.X, 1)\n"
      "Name (_SB.Y, 1)";
  const Bytes golden = {
      0x10, 0x19, '_',  'S',  'B',  '_',         // Scope (_SB)
      0x5B, 0x82, 0x12, 'P',  'C',  '0',  '1',   //   Device (PC01)
      0x08, '_',  'A',  'D',  'R',  0x00,        //     Name (_ADR, Zero)
      0x08, 0x5C, 'R',  'O',  'O',  'T',  0x01,  //     Name (\ROOT, One)
      0x08, 0x2F, 0x03,                          // Name (MultiNamePath, 3 segments
      '_',  'S',  'B',  '_',  'P',  'C',  '0',  '1', 'X',
      '_',  '_',  '_',  0x01, 0x08, 0x2E,  // Name (DualNamePath
      '_',  'S',  'B',  '_',  'Y',  '_',  '_',  '_', 0x01,
  };
  ExpectGolden(
      Encoded(
          {aml::Scope("_SB", {aml::Device("PC01", {aml::Name("_ADR", 0), aml::Name("\\ROOT", 1)})}),
           aml::Name("_SB.PC01.X", 1), aml::Name("_SB.Y", 1)}),
      golden, asl);
}

// The PCI root bridge a node gets for the bus behind its root port (segment 1 on q35), and the
// device that reserves that bus's ECAM range.
constexpr char kRootBridgeAsl[] = R"(
Scope (_SB)
{
    Device (PC01)
    {
        Name (_HID, EisaId ("PNP0A08"))
        Name (_CID, EisaId ("PNP0A03"))
        Name (_UID, One)
        Name (_SEG, One)
        Name (_BBN, One)
        Name (_CCA, One)
        Name (_CRS, ResourceTemplate ()
        {
            WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                0x0000, 0x0001, 0x0001, 0x0000, 0x0001,,,)
            DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                0x00000000, 0xFE800000, 0xFE9FFFFF, 0x00000000, 0x00200000,,,,
                AddressRangeMemory, TypeStatic)
            QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Prefetchable, ReadWrite,
                0x0, 0x800000000, 0x8000FFFFF, 0x0, 0x100000,,,, AddressRangeMemory, TypeStatic)
        })
    }
    Device (RS01)
    {
        Name (_HID, EisaId ("PNP0C02"))
        Name (_UID, 0x11)
        Name (_CRS, ResourceTemplate ()
        {
            Memory32Fixed (ReadWrite, 0xB0100000, 0x00100000)
        })
    }
})";

TEST(AmlGolden, PciRootBridgeAndEcamReservation) {
  const Bytes golden = {
      0x10, 0x4D, 0x0C, '_', 'S', 'B', '_',  // Scope (_SB), PkgLength 0xCD (2 bytes)
      0x5B, 0x82, 0x46, 0x09,                // Device, PkgLength 0x96
      'P', 'C', '0', '1',                    //   (PC01)
      0x08, '_', 'H', 'I', 'D',              // Name (_HID,
      0x0C, 0x41, 0xD0, 0x0A, 0x08,          //   EisaId ("PNP0A08"))
      0x08, '_', 'C', 'I', 'D',              // Name (_CID,
      0x0C, 0x41, 0xD0, 0x0A, 0x03,          //   EisaId ("PNP0A03"))
      0x08, '_', 'U', 'I', 'D', 0x01,        // Name (_UID, One)
      0x08, '_', 'S', 'E', 'G', 0x01,        // Name (_SEG, One)
      0x08, '_', 'B', 'B', 'N', 0x01,        // Name (_BBN, One)
      0x08, '_', 'C', 'C', 'A', 0x01,        // Name (_CCA, One)
      0x08, '_', 'C', 'R', 'S',              // Name (_CRS,
      0x11, 0x4E, 0x05, 0x0A, 0x5A,          //   Buffer, PkgLength 0x5E, 90 bytes
      // WordBusNumber: tag 0x88, length 13, bus numbers, producer + MinFixed + MaxFixed
      0x88, 0x0D, 0x00, 0x02, 0x0C, 0x00, 0x00, 0x00,  // _GRA
      0x01, 0x00,                                      // _MIN 1
      0x01, 0x00,                                      // _MAX 1
      0x00, 0x00,                                      // _TRA
      0x01, 0x00,                                      // _LEN 1
      // DWordMemory: tag 0x87, length 23, memory, producer + fixed, non-cacheable read-write
      0x87, 0x17, 0x00, 0x00, 0x0C, 0x01, 0x00, 0x00, 0x00, 0x00,  // _GRA
      0x00, 0x00, 0x80, 0xFE,                                      // _MIN 0xFE800000
      0xFF, 0xFF, 0x9F, 0xFE,                                      // _MAX 0xFE9FFFFF
      0x00, 0x00, 0x00, 0x00,                                      // _TRA
      0x00, 0x00, 0x20, 0x00,                                      // _LEN 0x200000
      // QWordMemory: tag 0x8A, length 43, memory, producer + fixed, prefetchable read-write
      0x8A, 0x2B, 0x00, 0x00, 0x0C, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // _GRA
      0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,  // _MIN 0x800000000
      0xFF, 0xFF, 0x0F, 0x00, 0x08, 0x00, 0x00, 0x00,  // _MAX 0x8000FFFFF
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // _TRA
      0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,  // _LEN 0x100000
      0x79, 0x00,                                      // End tag, checksum 0
      0x5B, 0x82, 0x2D, 'R', 'S', '0', '1',            // Device (RS01), PkgLength 0x2D
      0x08, '_', 'H', 'I', 'D',                        // Name (_HID,
      0x0C, 0x41, 0xD0, 0x0C, 0x02,                    //   EisaId ("PNP0C02"))
      0x08, '_', 'U', 'I', 'D', 0x0A, 0x11,            // Name (_UID, 0x11)
      0x08, '_', 'C', 'R', 'S',                        // Name (_CRS,
      0x11, 0x11, 0x0A, 0x0E,                          //   Buffer, 14 bytes
      0x86, 0x09, 0x00, 0x01,                          // Memory32Fixed, read-write
      0x00, 0x00, 0x10, 0xB0,                          //   base 0xB0100000
      0x00, 0x00, 0x10, 0x00,                          //   length 0x100000
      0x79, 0x00,                                      // End tag
  };
  std::vector<aml::Term> terms = {aml::Scope(
      "_SB",
      {
          aml::Device(
              "PC01",
              {
                  aml::Name("_HID", aml::EisaId("PNP0A08")),
                  aml::Name("_CID", aml::EisaId("PNP0A03")),
                  aml::Name("_UID", 1),
                  aml::Name("_SEG", 1),
                  aml::Name("_BBN", 1),
                  aml::Name("_CCA", 1),
                  aml::Name("_CRS", aml::ResourceTemplate({
                                        aml::WordBusNumber(1, 1),
                                        aml::DWordMemory({.first = 0xFE800000, .last = 0xFE9FFFFF}),
                                        aml::QWordMemory({.first = 0x800000000,
                                                          .last = 0x8000FFFFF,
                                                          .cache = aml::Cache::kPrefetchable}),
                                    })),
              }),
          aml::Device("RS01",
                      {
                          aml::Name("_HID", aml::EisaId("PNP0C02")),
                          aml::Name("_UID", 0x11),
                          aml::Name("_CRS", aml::ResourceTemplate(
                                                {aml::Memory32Fixed(0xB0100000, 0x100000)})),
                      }),
      })};
  ExpectGolden(Encoded(terms), golden, kRootBridgeAsl);
}

TEST(AmlGolden, VirtioMmioDevice) {
  const char* asl = R"(
Device (VR00)
{
    Name (_HID, "LNRO0005")
    Name (_UID, Zero)
    Name (_CRS, ResourceTemplate ()
    {
        Memory32Fixed (ReadWrite, 0xFEB00000, 0x00000200)
        Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive, ,, ) {0x18}
    })
})";
  const Bytes golden = {
      0x5B, 0x82, 0x3A, 'V',  'R', '0',  '0',                  // Device (VR00)
      0x08, '_',  'H',  'I',  'D',                             // Name (_HID,
      0x0D, 'L',  'N',  'R',  'O', '0',  '0', '0', '5', 0x00,  //   "LNRO0005")
      0x08, '_',  'U',  'I',  'D', 0x00,                       // Name (_UID, Zero)
      0x08, '_',  'C',  'R',  'S',                             // Name (_CRS,
      0x11, 0x1A, 0x0A, 0x17,                                  //   Buffer, 23 bytes
      0x86, 0x09, 0x00, 0x01,                                  // Memory32Fixed, read-write
      0x00, 0x00, 0xB0, 0xFE,                                  //   base 0xFEB00000
      0x00, 0x02, 0x00, 0x00,                                  //   length 0x200
      0x89, 0x06, 0x00,                                        // Extended interrupt, 6
      0x01,                                                    //   consumer, level, high
      0x01,                                                    //   1 interrupt
      0x18, 0x00, 0x00, 0x00,                                  //   GSI 24
      0x79, 0x00,                                              // End tag
  };
  ExpectGolden(
      Encoded(aml::Device(
          "VR00", {aml::Name("_HID", aml::String("LNRO0005")), aml::Name("_UID", 0),
                   aml::Name("_CRS", aml::ResourceTemplate(
                                         {aml::Memory32Fixed(0xFEB00000, 0x200),
                                          aml::Interrupt(aml::Trigger::kLevel,
                                                         aml::Polarity::kActiveHigh, {24})}))})),
      golden, asl);
}

TEST(AmlGolden, ConsumedWindowsAndEdgeInterrupts) {
  const char* asl = R"(
Name (_CRS, ResourceTemplate ()
{
    DWordMemory (ResourceConsumer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
        0x00000000, 0xFE800000, 0xFE9FFFFF, 0x00000000, 0x00200000,,,, AddressRangeMemory,
        TypeStatic)
    Interrupt (ResourceConsumer, Edge, ActiveLow, Exclusive, ,, ) {0x10, 0x11}
}))";
  const Bytes golden = {
      0x08, '_',  'C',  'R',  'S',                     // Name (_CRS,
      0x11, 0x2C, 0x0A, 0x29,                          //   Buffer, 41 bytes
      0x87, 0x17, 0x00, 0x00, 0x0D, 0x03,              // DWordMemory: consumer, cacheable
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0xFE,  //
      0xFF, 0xFF, 0x9F, 0xFE, 0x00, 0x00, 0x00, 0x00,  //
      0x00, 0x00, 0x20, 0x00,                          //
      0x89, 0x0A, 0x00, 0x07, 0x02,                    // Interrupt: edge, active low, 2 GSIs
      0x10, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00,  //
      0x79, 0x00,                                      // End tag
  };
  ExpectGolden(
      Encoded(aml::Name("_CRS", aml::ResourceTemplate(
                                    {aml::DWordMemory({.first = 0xFE800000,
                                                       .last = 0xFE9FFFFF,
                                                       .cache = aml::Cache::kCacheable,
                                                       .usage = aml::Usage::kConsumer}),
                                     aml::Interrupt(aml::Trigger::kEdge, aml::Polarity::kActiveLow,
                                                    {0x10, 0x11})}))),
      golden, asl);
}

// A package length grows a byte where the encoding needs it: 63 bytes fit in one, 4095 in two
// (ACPI 6.3 section 20.2.4), exactly the boundaries iasl uses.
TEST(AmlGolden, PackageLengthBoundaries) {
  struct Case {
    size_t data;
    Bytes head;  // Buffer opcode, PkgLength, BufferSize
  };
  const std::vector<Case> cases = {
      {0x3C, {0x11, 0x3F, 0x0A, 0x3C}},                     // 2 + 60 bytes: 0x3F in one byte
      {0x3D, {0x11, 0x41, 0x04, 0x0A, 0x3D}},               // 2 + 61: 0x41 needs two
      {0xFFA, {0x11, 0x4F, 0xFF, 0x0B, 0xFA, 0x0F}},        // 3 + 0xFFA + 2 = 0xFFF: two
      {0xFFB, {0x11, 0x81, 0x00, 0x01, 0x0B, 0xFB, 0x0F}},  // 0x1001: three
  };
  for (const Case& c : cases) {
    Bytes bytes = Encoded(aml::Buffer(Bytes(c.data, 1)));
    ASSERT_EQ(bytes.size(), c.head.size() + c.data);
    EXPECT_EQ(Bytes(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(c.head.size())), c.head)
        << "data " << c.data;
  }
}

// ---------------------------------------------------------------------------------------------
// Errors: the term carries them, Encode() reports the first, naming the value.
// ---------------------------------------------------------------------------------------------

TEST(AmlErrors, BadNames) {
  EXPECT_NE(ErrorOf(aml::Name("", 1)).find("name \"\""), std::string::npos);
  EXPECT_NE(ErrorOf(aml::Name("TOOLONG", 1)).find("\"TOOLONG\""), std::string::npos);
  EXPECT_NE(ErrorOf(aml::Name("pc01", 1)).find("\"pc01\""), std::string::npos);
  EXPECT_NE(ErrorOf(aml::Name("1ABC", 1)).find("\"1ABC\""), std::string::npos);
  EXPECT_NE(ErrorOf(aml::Name("_SB..X", 1)).find("\"_SB..X\""), std::string::npos);
  EXPECT_NE(ErrorOf(aml::Device("A B", {})).find("\"A B\""), std::string::npos);
  EXPECT_NE(ErrorOf(aml::Scope("\\", {})).find("\"\\\""), std::string::npos);
}

TEST(AmlErrors, BadValues) {
  EXPECT_NE(ErrorOf(aml::Name("X", -1)).find("integer -1 is negative"), std::string::npos);
  EXPECT_NE(ErrorOf(aml::Name("X", aml::String(std::string("a\0b", 3)))).find("printable"),
            std::string::npos);
  EXPECT_NE(ErrorOf(aml::Name("_HID", aml::EisaId("pnp0a08"))).find("\"pnp0a08\""),
            std::string::npos);
  EXPECT_NE(ErrorOf(aml::Name("_HID", aml::EisaId("PNP0A0G"))).find("\"PNP0A0G\""),
            std::string::npos);
  EXPECT_NE(ErrorOf(aml::Package(std::vector<aml::Term>(256, aml::Term(0)))).find("256 elements"),
            std::string::npos);
}

TEST(AmlErrors, BadResources) {
  auto crs = [](aml::Resource resource) {
    return aml::Name("_CRS", aml::ResourceTemplate({std::move(resource)}));
  };
  EXPECT_NE(ErrorOf(crs(aml::WordBusNumber(2, 1))).find("bus numbers 2-1"), std::string::npos);
  EXPECT_NE(ErrorOf(crs(aml::DWordMemory({.first = 0x2000, .last = 0x1000})))
                .find("0x2000-0x1000 ends before it starts"),
            std::string::npos);
  EXPECT_NE(ErrorOf(crs(aml::DWordMemory({.first = 0xF0000000, .last = 0x100000000})))
                .find("ends above 0xffffffff"),
            std::string::npos);
  EXPECT_NE(ErrorOf(crs(aml::Memory32Fixed(0xFFFFF000, 0x2000))).find("runs past 4 GiB"),
            std::string::npos);
  EXPECT_NE(ErrorOf(crs(aml::Interrupt(aml::Trigger::kLevel, aml::Polarity::kActiveHigh, {})))
                .find("not 0"),
            std::string::npos);
}

TEST(AmlErrors, AnErrorDeepInsideReachesTheTop) {
  std::string error = ErrorOf(aml::Scope(
      "_SB", {aml::Device("PC01", {aml::Name("_UID", 1), aml::Name("_HID", aml::EisaId("XX"))})}));
  EXPECT_NE(error.find("EISA ID \"XX\""), std::string::npos) << error;
}

// ---------------------------------------------------------------------------------------------
// A whole DSDT made with the writer goes through iasl both ways: decompiled, then compiled back
// to the same bytes (the table header's creator fields and checksum aside, which iasl rewrites).
// ---------------------------------------------------------------------------------------------

TEST(AmlIasl, GeneratedDsdtRoundTrips) {
  if (!HaveIasl()) {
    GTEST_SKIP() << "iasl is not installed, so the generated DSDT is not checked by an outside "
                    "decoder; install Debian's acpica-tools (scripts/setup does)";
  }
  AcpiNodeConfig config;
  config.base = 0x40003000;
  config.apic_ids = {1};
  config.dsdt_aml = Encoded(
      {aml::Name("_S3", aml::Package({5, 5})), aml::Name("_S5", aml::Package({0, 0})),
       aml::Scope(
           "_SB",
           {aml::Device(
                "PC01",
                {aml::Name("_HID", aml::EisaId("PNP0A08")),
                 aml::Name("_CID", aml::EisaId("PNP0A03")), aml::Name("_SEG", 1),
                 aml::Name("_BBN", 0x10),
                 aml::Name("_CRS", aml::ResourceTemplate(
                                       {aml::WordBusNumber(0x10, 0x10),
                                        aml::DWordMemory({.first = 0xC0000000, .last = 0xC01FFFFF}),
                                        aml::QWordMemory({.first = 0x380000000000,
                                                          .last = 0x3800001FFFFF,
                                                          .cache = aml::Cache::kPrefetchable})}))}),
            aml::Device("VR00", {aml::Name("_HID", aml::String("LNRO0005")), aml::Name("_UID", 0),
                                 aml::Name("_CRS", aml::ResourceTemplate(
                                                       {aml::Memory32Fixed(0xFEB00000, 0x200),
                                                        aml::Interrupt(aml::Trigger::kLevel,
                                                                       aml::Polarity::kActiveHigh,
                                                                       {24})}))})})});
  auto tables = BuildAcpiTables(config);
  ASSERT_TRUE(tables.ok()) << tables.error().message;
  Bytes dsdt(
      tables->blob.begin() + static_cast<ptrdiff_t>(tables->dsdt.offset),
      tables->blob.begin() + static_cast<ptrdiff_t>(tables->dsdt.offset + tables->dsdt.size));

  ScratchDir dir;
  dir.Write("dsdt.dat", dsdt);
  testing::ShellResult disassembled = dir.Iasl("-d dsdt.dat");
  ASSERT_EQ(disassembled.status, 0) << disassembled.output;
  std::string dsl = dir.ReadText("dsdt.dsl");
  EXPECT_NE(dsl.find("Name (_HID, EisaId (\"PNP0A08\")"), std::string::npos) << dsl;
  EXPECT_NE(dsl.find("QWordMemory (ResourceProducer"), std::string::npos) << dsl;
  EXPECT_NE(dsl.find("Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive"),
            std::string::npos)
      << dsl;
  testing::ShellResult compiled = dir.Iasl("-p again dsdt.dsl");
  ASSERT_EQ(compiled.status, 0) << compiled.output;
  Bytes again = dir.ReadBytes("again.aml");
  ASSERT_EQ(again.size(), dsdt.size()) << dsl;
  for (size_t i = 0; i < dsdt.size(); ++i) {
    bool iasl_writes = i == offsetof(AcpiSdtHeader, checksum) ||
                       (i >= offsetof(AcpiSdtHeader, creator_id) && i < sizeof(AcpiSdtHeader));
    if (!iasl_writes) {
      EXPECT_EQ(again[i], dsdt[i]) << "byte " << i << "\n" << dsl;
    }
  }
  if (HasFailure()) {
    dir.Keep();
  }
}

}  // namespace
}  // namespace mint
