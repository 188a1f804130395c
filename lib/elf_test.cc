#include "elf.h"

#include <gtest/gtest.h>

#include <cstring>

namespace mint {
namespace {

constexpr uint64_t kBase = 0x1000000;

// A tiny kernel-shaped ELF: text at 0x1000000 (executable), data at 0x1200000 with a zero tail.
std::vector<uint8_t> TinyElf() {
  std::vector<uint8_t> bytes(0x3000, 0);
  Elf64Header h{};
  std::memcpy(h.ident,
              "\x7f"
              "ELF\x02\x01\x01",
              7);
  h.type = kElfTypeExec;
  h.machine = kElfMachineX86_64;
  h.version = 1;
  h.entry = kBase;
  h.phoff = sizeof(Elf64Header);
  h.ehsize = sizeof(Elf64Header);
  h.phentsize = sizeof(Elf64ProgramHeader);
  h.phnum = 2;
  std::memcpy(bytes.data(), &h, sizeof(h));
  Elf64ProgramHeader text{kElfPtLoad, 5,      0x1000, 0xffffffff81000000,
                          kBase,      0x1000, 0x1000, 0x200000};
  Elf64ProgramHeader data{kElfPtLoad, 6, 0x2000, 0, kBase + 0x200000, 0x1000, 0x3000, 0x200000};
  std::memcpy(bytes.data() + h.phoff, &text, sizeof(text));
  std::memcpy(bytes.data() + h.phoff + sizeof(text), &data, sizeof(data));
  return bytes;
}

template <typename T>
void Poke(std::vector<uint8_t>& bytes, size_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

constexpr size_t kPh0 = sizeof(Elf64Header);
constexpr size_t kPh1 = kPh0 + sizeof(Elf64ProgramHeader);

TEST(Elf, ParsesATinyKernel) {
  auto elf = ParseKernelElf(TinyElf(), kBase, 0x400000);
  ASSERT_TRUE(elf.ok()) << elf.error().message;
  ASSERT_EQ(elf->segments.size(), 2u);
  EXPECT_EQ(elf->entry, kBase);
  EXPECT_EQ(elf->phys_start, kBase);
  EXPECT_EQ(elf->phys_end, kBase + 0x203000);
  EXPECT_EQ(elf->FileBytes(), 0x2000u);
  EXPECT_EQ(elf->segments[1].memsz - elf->segments[1].filesz, 0x2000u);
}

// Each broken variant is refused with a message naming what is wrong.
TEST(Elf, RefusesWhatIsOdd) {
  struct Case {
    const char* name;
    void (*spoil)(std::vector<uint8_t>&);
    const char* says;
  };
  std::vector<Case> cases = {
      {"not ELF", [](auto& b) { b[0] = 0; }, "not an ELF"},
      {"32-bit", [](auto& b) { b[4] = 1; }, "64-bit little-endian"},
      {"not x86-64", [](auto& b) { Poke<uint16_t>(b, 18, 3); }, "x86-64 executable"},
      {"phentsize", [](auto& b) { Poke<uint16_t>(b, 54, 32); }, "56"},
      {"no headers", [](auto& b) { Poke<uint16_t>(b, 56, 0); }, "program headers"},
      {"headers past the end", [](auto& b) { Poke<uint64_t>(b, 32, 0x2fd0); }, "run past"},
      {"filesz > memsz", [](auto& b) { Poke<uint64_t>(b, kPh1 + 32, 0x4000); }, "exceeds"},
      {"bytes past the end", [](auto& b) { Poke<uint64_t>(b, kPh1 + 8, 0x2800); }, "run past"},
      {"unaligned", [](auto& b) { Poke<uint64_t>(b, kPh1 + 24, kBase + 0x200800); }, "aligned"},
      {"below the base", [](auto& b) { Poke<uint64_t>(b, kPh1 + 24, 0x800000); }, "below"},
      {"past init_size", [](auto& b) { Poke<uint64_t>(b, kPh1 + 40, 0x300000); }, "init_size"},
      {"huge memsz", [](auto& b) { Poke<uint64_t>(b, kPh1 + 40, ~uint64_t{0}); }, "init_size"},
      {"overlap", [](auto& b) { Poke<uint64_t>(b, kPh1 + 24, kBase); }, "overlap"},
      {"entry outside", [](auto& b) { Poke<uint64_t>(b, 24, kBase + 0x200000); }, "entry"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes = TinyElf();
    c.spoil(bytes);
    auto elf = ParseKernelElf(bytes, kBase, 0x400000);
    ASSERT_FALSE(elf.ok()) << c.name;
    EXPECT_NE(elf.error().message.find(c.says), std::string::npos)
        << c.name << ": " << elf.error().message;
  }
  EXPECT_FALSE(ParseKernelElf(std::vector<uint8_t>(10), kBase, 0x400000).ok());
}

}  // namespace
}  // namespace mint
