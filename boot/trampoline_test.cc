// The trampoline, run for real: each test executes boot/trampoline.S's assembled bytes in an
// x86 emulator (Unicorn, from Debian's libunicorn-dev) the way a woken core would: real mode
// at CS = vector << 8, IP = 0, caches disabled as INIT leaves them. CPUID answers with the
// APIC ID under test. The run stops when the core jumps to a kernel entry.
#include <unicorn/unicorn.h>

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "trampoline_layout.h"

extern "C" const uint8_t mint_trampoline_blob[];
extern "C" const uint8_t mint_trampoline_blob_end[];

namespace {

constexpr uint64_t kTrampoline = 0x10000;   // SIPI vector 0x10
constexpr uint64_t kNodeBase = 0x40000000;  // all nodes' memory, for the test
constexpr uint64_t kNodeSize = 0x200000;
constexpr uint64_t kStatus = kNodeBase;    // entry k's status page: kStatus + k * 0x1000
constexpr uint32_t kInitCr0 = 0x60000010;  // CR0 after INIT: CD | NW | ET

// Entry k points at distinct addresses, so a test can tell which entry a core used.
uint32_t BootParamsFor(uint32_t apic) {
  return static_cast<uint32_t>(kNodeBase + 0x100000 + apic * 16);
}
uint32_t EntryFor(uint32_t apic) {
  return static_cast<uint32_t>(kNodeBase + 0x180000 + apic * 16);
}
uint32_t StatusFor(uint32_t apic) {
  return static_cast<uint32_t>(kStatus + apic * 0x1000 % 0x100000);
}

struct Core {
  uc_engine* uc = nullptr;
  uint32_t apic = 0;
  uc_hook cpuid_hook{};
  ~Core() {
    if (uc) uc_close(uc);
  }
};

int AnswerCpuid(uc_engine* uc, void* user) {
  auto* core = static_cast<Core*>(user);
  uint32_t leaf = 0;
  uc_reg_read(uc, UC_X86_REG_EAX, &leaf);
  uint32_t ebx = leaf == 1 ? core->apic << 24 : 0, zero = 0;
  uc_reg_write(uc, UC_X86_REG_EBX, &ebx);
  uc_reg_write(uc, UC_X86_REG_EAX, &zero);
  uc_reg_write(uc, UC_X86_REG_ECX, &zero);
  uc_reg_write(uc, UC_X86_REG_EDX, &zero);
  return 1;  // the hook answered; skip the real instruction
}

// A machine with the trampoline at kTrampoline and a table holding entries for `valid` IDs.
void Boot(Core& core, const std::vector<uint32_t>& valid) {
  ASSERT_EQ(uc_open(UC_ARCH_X86, UC_MODE_16, &core.uc), UC_ERR_OK);
  ASSERT_EQ(uc_mem_map(core.uc, 0, 0x100000, UC_PROT_ALL), UC_ERR_OK);
  ASSERT_EQ(uc_mem_map(core.uc, kNodeBase, kNodeSize, UC_PROT_ALL), UC_ERR_OK);
  size_t size = static_cast<size_t>(mint_trampoline_blob_end - mint_trampoline_blob);
  ASSERT_LE(size, size_t{MINT_TRAMP_CODE_SIZE});
  ASSERT_EQ(uc_mem_write(core.uc, kTrampoline, mint_trampoline_blob, size), UC_ERR_OK);
  for (uint32_t apic : valid) {
    mint_trampoline_entry entry{MINT_TRAMPOLINE_ENTRY_VALID, BootParamsFor(apic), EntryFor(apic),
                                StatusFor(apic)};
    uint64_t at =
        kTrampoline + MINT_TRAMP_TABLE_OFFSET + (uint64_t{apic} << MINT_TRAMP_ENTRY_SHIFT);
    ASSERT_EQ(uc_mem_write(core.uc, at, &entry, sizeof(entry)), UC_ERR_OK);
  }
  ASSERT_EQ(uc_hook_add(core.uc, &core.cpuid_hook, UC_HOOK_INSN,
                        reinterpret_cast<void*>(AnswerCpuid), &core, 1, 0, UC_X86_INS_CPUID),
            UC_ERR_OK);
  uint32_t cs = static_cast<uint32_t>(kTrampoline >> 4), cr0 = kInitCr0, junk = 0xdeadbeef;
  uc_reg_write(core.uc, UC_X86_REG_CS, &cs);
  uc_reg_write(core.uc, UC_X86_REG_CR0, &cr0);
  // Garbage in the registers the boot protocol wants zero, so the test sees them cleared.
  for (int reg : {UC_X86_REG_EBX, UC_X86_REG_EBP, UC_X86_REG_EDI, UC_X86_REG_ESI})
    uc_reg_write(core.uc, reg, &junk);
}

uint32_t Reg(Core& core, int reg) {
  uint32_t value = 0;
  uc_reg_read(core.uc, reg, &value);
  return value;
}

// Every usable xAPIC ID (0..254; 255 is broadcast) finds its own entry in the one table.
TEST(Trampoline, ServesAll255XapicIds) {
  std::vector<uint32_t> all;
  for (uint32_t apic = 0; apic <= 254; ++apic) all.push_back(apic);
  for (uint32_t apic = 0; apic <= 254; ++apic) {
    Core core;
    core.apic = apic;
    Boot(core, all);
    uc_err err = uc_emu_start(core.uc, kTrampoline, EntryFor(apic), 1000000, 10000);
    ASSERT_EQ(err, UC_ERR_OK) << "APIC ID " << apic << ": " << uc_strerror(err);
    ASSERT_EQ(Reg(core, UC_X86_REG_EIP), EntryFor(apic)) << apic;
    ASSERT_EQ(Reg(core, UC_X86_REG_ESI), BootParamsFor(apic)) << apic;
    ASSERT_EQ(Reg(core, UC_X86_REG_EBX), 0u);
    ASSERT_EQ(Reg(core, UC_X86_REG_EBP), 0u);
    ASSERT_EQ(Reg(core, UC_X86_REG_EDI), 0u);
    uint32_t cr0 = Reg(core, UC_X86_REG_CR0);
    ASSERT_EQ(cr0 & 1u, 1u) << "protected mode";
    ASSERT_EQ(cr0 & 0x60000000u, 0u) << "CD and NW cleared";
    ASSERT_EQ(cr0 & 0x80000000u, 0u) << "paging off";
    ASSERT_EQ(Reg(core, UC_X86_REG_CS), uint32_t{MINT_BOOT_CS});
    ASSERT_EQ(Reg(core, UC_X86_REG_DS), uint32_t{MINT_BOOT_DS});
    ASSERT_EQ(Reg(core, UC_X86_REG_SS), uint32_t{MINT_BOOT_DS});
    mint_status_page page{};
    ASSERT_EQ(uc_mem_read(core.uc, StatusFor(apic), &page, sizeof(page)), UC_ERR_OK);
    ASSERT_EQ(page.trampoline_apic, apic);
  }
}

TEST(Trampoline, StampsTheTscIntoTheStatusPage) {
  Core core;
  core.apic = 3;
  Boot(core, {3});
  ASSERT_EQ(uc_emu_start(core.uc, kTrampoline, EntryFor(3), 1000000, 10000), UC_ERR_OK);
  mint_status_page page{};
  uc_mem_read(core.uc, StatusFor(3), &page, sizeof(page));
  EXPECT_NE(page.tsc_trampoline, 0u);
  EXPECT_EQ(page.trampoline_apic, 3u);
}

// A core with no valid entry (woken by mistake, or its node was destroyed) halts for good
// inside the trampoline and touches nothing.
TEST(Trampoline, ACoreWithoutAnEntryParks) {
  Core core;
  core.apic = 7;
  Boot(core, {1, 2, 3});
  uc_err err = uc_emu_start(core.uc, kTrampoline, EntryFor(7), 100000, 2000);
  EXPECT_EQ(err, UC_ERR_OK) << uc_strerror(err);
  uint32_t eip = Reg(core, UC_X86_REG_EIP);
  EXPECT_GE(eip, kTrampoline);
  EXPECT_LT(eip, kTrampoline + MINT_TRAMP_CODE_SIZE) << "stays in the trampoline";
  EXPECT_NE(eip, EntryFor(7));
  mint_status_page page{};
  uc_mem_read(core.uc, StatusFor(7), &page, sizeof(page));
  EXPECT_EQ(page.tsc_trampoline, 0u);
  EXPECT_EQ(page.trampoline_apic, 0u);
}

}  // namespace
