// The trampoline, run for real: each test executes boot/trampoline.S's assembled bytes in an
// x86 emulator (Unicorn, from Debian's libunicorn-dev) the way a woken core would: real mode
// at CS = vector << 8, IP = 0, caches disabled as INIT leaves them. CPUID answers with the
// APIC ID under test. The run stops when the core jumps to a kernel entry. The long-mode path
// runs on an identity map built by lib/page_tables (as mint builds it for a node), with and
// without LA57 offered by CPUID.
#include <unicorn/unicorn.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "page_tables.h"
#include "trampoline_layout.h"

extern "C" const uint8_t mint_trampoline_blob[];
extern "C" const uint8_t mint_trampoline_blob_end[];

namespace {

constexpr uint64_t kTrampoline = 0x10000;   // SIPI vector 0x10
constexpr uint64_t kNodeBase = 0x40000000;  // all nodes' memory, for the test
constexpr uint64_t kNodeSize = 0x200000;
constexpr uint64_t kStatus = kNodeBase;    // entry k's status page: kStatus + k * 0x1000
constexpr uint32_t kInitCr0 = 0x60000010;  // CR0 after INIT: CD | NW | ET
constexpr uint64_t kPageTables = kNodeBase + 0x1c0000;
constexpr uint64_t kPageTableRoom = 0x10000;

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
  bool long_mode = false;  // table entries ask for the 64-bit entry
  bool la57 = false;       // CPUID offers 5-level paging (and the CPU model has it)
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
  uint32_t eax = leaf == 0 ? (core->la57 ? 7 : 1) : 0;
  uint32_t ecx = leaf == 7 && core->la57 ? 1u << 16 : 0;  // CPUID.(7,0):ECX.LA57
  uc_reg_write(uc, UC_X86_REG_EBX, &ebx);
  uc_reg_write(uc, UC_X86_REG_EAX, &eax);
  uc_reg_write(uc, UC_X86_REG_ECX, &ecx);
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
  mint_trampoline_entry entry{};
  if (core.long_mode) {
    // Low memory (the trampoline) and the node's memory, as mint maps a node.
    auto map = mint::BuildIdentityMap(kPageTables, kPageTableRoom,
                                      {{0, 0x100000}, {kNodeBase, kNodeBase + kNodeSize}});
    ASSERT_TRUE(map.ok()) << map.error().message;
    ASSERT_EQ(uc_mem_write(core.uc, map->phys, map->bytes.data(), map->bytes.size()), UC_ERR_OK);
    entry.flags = MINT_ENTRY_LONG_MODE;
    entry.pml4 = static_cast<uint32_t>(map->pml4);
    entry.pml5 = static_cast<uint32_t>(map->pml5);
  }
  for (uint32_t apic : valid) {
    entry.valid = MINT_TRAMPOLINE_ENTRY_VALID;
    entry.boot_params = BootParamsFor(apic);
    entry.entry = EntryFor(apic);
    entry.status = StatusFor(apic);
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

uint64_t Reg64(Core& core, int reg) {
  uint64_t value = 0;
  uc_reg_read(core.uc, reg, &value);
  return value;
}

uint64_t Efer(Core& core) {
  uc_x86_msr msr{0xc0000080, 0};
  uc_reg_read(core.uc, UC_X86_REG_MSR, &msr);
  return msr.value;
}

// Offset in the trampoline of the first instruction matching `pattern`.
size_t FindInTrampoline(const std::vector<uint8_t>& pattern) {
  const uint8_t* end = mint_trampoline_blob_end;
  const uint8_t* at = std::search(mint_trampoline_blob, end, pattern.begin(), pattern.end());
  return at == end ? 0 : static_cast<size_t>(at - mint_trampoline_blob);
}

// The long-mode path's first instruction, "movl $X86_CR4_PAE, %esi" (be 20 00 00 00), and the
// 64-bit code descriptor of its GDT (GDT base = that - 8).
size_t LongModeOffset() {
  return FindInTrampoline({0xbe, 0x20, 0x00, 0x00, 0x00, 0x31, 0xc0});
}
size_t GdtOffset() {
  return FindInTrampoline({0xff, 0xff, 0x00, 0x00, 0x00, 0x9a, 0xaf, 0x00}) - 8;
}

// Unicorn keeps long mode out of a CPU opened in 16-bit (or 32-bit) mode: EFER.LME does not
// stick. So a long-mode boot runs in two engines. Stage 1 (16-bit engine): from the SIPI
// vector through the table lookup and the status stamp to the long-mode path's first
// instruction. Stage 2 (64-bit engine, put into compatibility mode on the trampoline's own
// 32-bit code segment, with stage 1's memory and registers): from there to the kernel entry.
void RunLongModeBoot(Core& core) {
  uint32_t apic = core.apic;
  size_t long_mode = LongModeOffset();
  ASSERT_NE(long_mode, 0u) << "long-mode path not found in the trampoline";
  uc_err err = uc_emu_start(core.uc, kTrampoline, kTrampoline + long_mode, 1000000, 10000);
  ASSERT_EQ(err, UC_ERR_OK) << "stage 1, APIC ID " << apic << ": " << uc_strerror(err);
  ASSERT_EQ(Reg(core, UC_X86_REG_EIP), kTrampoline + long_mode)
      << "APIC ID " << apic << " did not take the long-mode path";
  std::vector<uint8_t> low(0x100000), node(kNodeSize);
  ASSERT_EQ(uc_mem_read(core.uc, 0, low.data(), low.size()), UC_ERR_OK);
  ASSERT_EQ(uc_mem_read(core.uc, kNodeBase, node.data(), node.size()), UC_ERR_OK);
  uint32_t edi = Reg(core, UC_X86_REG_EDI), ebp = Reg(core, UC_X86_REG_EBP);
  uc_close(core.uc);
  core.uc = nullptr;

  ASSERT_EQ(uc_open(UC_ARCH_X86, UC_MODE_64, &core.uc), UC_ERR_OK);
  if (core.la57) {
    ASSERT_EQ(uc_ctl_set_cpu_model(core.uc, UC_CPU_X86_ICELAKE_SERVER), UC_ERR_OK);
  }
  ASSERT_EQ(uc_mem_map(core.uc, 0, 0x100000, UC_PROT_ALL), UC_ERR_OK);
  ASSERT_EQ(uc_mem_map(core.uc, kNodeBase, kNodeSize, UC_PROT_ALL), UC_ERR_OK);
  uc_mem_write(core.uc, 0, low.data(), low.size());
  uc_mem_write(core.uc, kNodeBase, node.data(), node.size());
  ASSERT_EQ(uc_hook_add(core.uc, &core.cpuid_hook, UC_HOOK_INSN,
                        reinterpret_cast<void*>(AnswerCpuid), &core, 1, 0, UC_X86_INS_CPUID),
            UC_ERR_OK);
  uc_x86_mmr gdtr{0, kTrampoline + GdtOffset(), 0x27, 0};
  ASSERT_EQ(uc_reg_write(core.uc, UC_X86_REG_GDTR, &gdtr), UC_ERR_OK);
  uint64_t zero = 0, pe = 0x11;
  uc_reg_write(core.uc, UC_X86_REG_CR0, &pe);  // paging off until the trampoline turns it on
  uc_reg_write(core.uc, UC_X86_REG_CR4, &zero);
  uint32_t cs = MINT_BOOT_CS, ds = MINT_BOOT_DS;
  ASSERT_EQ(uc_reg_write(core.uc, UC_X86_REG_CS, &cs), UC_ERR_OK);
  ASSERT_EQ(uc_reg_write(core.uc, UC_X86_REG_DS, &ds), UC_ERR_OK);
  ASSERT_EQ(uc_reg_write(core.uc, UC_X86_REG_SS, &ds), UC_ERR_OK);
  uint64_t rdi = edi, rbp = ebp, junk = 0xdeadbeefdeadbeef;
  uc_reg_write(core.uc, UC_X86_REG_RDI, &rdi);
  uc_reg_write(core.uc, UC_X86_REG_RBP, &rbp);
  uc_reg_write(core.uc, UC_X86_REG_RSI, &junk);
  uc_reg_write(core.uc, UC_X86_REG_RBX, &junk);
}

// Runs `core` from the SIPI vector until it reaches its kernel entry, then checks the 64-bit
// boot protocol's state (boot.rst, "64-bit Boot Protocol").
void ExpectLongModeEntry(Core& core) {
  uint32_t apic = core.apic;
  RunLongModeBoot(core);
  if (::testing::Test::HasFatalFailure()) return;
  uc_err err =
      uc_emu_start(core.uc, kTrampoline + LongModeOffset(), EntryFor(apic), 1000000, 10000);
  ASSERT_EQ(err, UC_ERR_OK) << "APIC ID " << apic << ": " << uc_strerror(err) << " at RIP 0x"
                            << std::hex << Reg64(core, UC_X86_REG_RIP) << ", CR0 0x"
                            << Reg64(core, UC_X86_REG_CR0) << ", CR4 0x"
                            << Reg64(core, UC_X86_REG_CR4) << ", EFER 0x" << Efer(core);
  ASSERT_EQ(Reg64(core, UC_X86_REG_RIP), EntryFor(apic)) << apic;
  ASSERT_EQ(Reg64(core, UC_X86_REG_RSI), BootParamsFor(apic)) << "RSI = boot_params, " << apic;
  ASSERT_EQ(Reg64(core, UC_X86_REG_RBX), 0u);
  ASSERT_EQ(Reg64(core, UC_X86_REG_RBP), 0u);
  ASSERT_EQ(Reg64(core, UC_X86_REG_RDI), 0u);
  uint64_t cr0 = Reg64(core, UC_X86_REG_CR0);
  ASSERT_EQ(cr0 & 0x80000001u, 0x80000001u) << "PG | PE";
  ASSERT_EQ(cr0 & 0x60000000u, 0u) << "CD and NW cleared";
  uint64_t cr4 = Reg64(core, UC_X86_REG_CR4);
  ASSERT_EQ(cr4 & (1u << 5), 1u << 5) << "PAE";
  ASSERT_EQ((cr4 >> 12) & 1, core.la57 ? 1u : 0u) << "LA57 exactly when CPUID offers it";
  ASSERT_EQ(Reg64(core, UC_X86_REG_CR3), core.la57 ? kPageTables : kPageTables + 0x1000)
      << "CR3: the 5-level root with LA57, the 4-level root without";
  ASSERT_EQ(Efer(core) & 0x500, 0x500u) << "EFER.LME and LMA";
  ASSERT_EQ(Reg(core, UC_X86_REG_CS), uint32_t{MINT_LONG_CS}) << "64-bit code segment";
  mint_status_page page{};
  ASSERT_EQ(uc_mem_read(core.uc, StatusFor(apic), &page, sizeof(page)), UC_ERR_OK);
  ASSERT_EQ(page.trampoline_apic, apic);
  ASSERT_NE(page.tsc_trampoline, 0u);
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

// The long-mode path (direct entry into startup_64) for every xAPIC ID, 4-level paging.
TEST(Trampoline, LongModeServesAll255XapicIds) {
  std::vector<uint32_t> all;
  for (uint32_t apic = 0; apic <= 254; ++apic) all.push_back(apic);
  for (uint32_t apic = 0; apic <= 254; ++apic) {
    Core core;
    core.apic = apic;
    core.long_mode = true;
    Boot(core, all);
    ExpectLongModeEntry(core);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// With LA57 offered the kernel expects 5-level paging: CR4.LA57 set and CR3 = the PML5.
TEST(Trampoline, LongModeWithLa57UsesFiveLevelPaging) {
  for (uint32_t apic : {0u, 1u, 200u}) {
    Core core;
    core.apic = apic;
    core.long_mode = true;
    core.la57 = true;
    Boot(core, {apic});
    ExpectLongModeEntry(core);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// The two kinds of entry side by side in one table: each core takes its own.
TEST(Trampoline, ThirtyTwoBitEntryIgnoresThePageTableFields) {
  Core core;
  core.apic = 5;
  Boot(core, {5});
  // Garbage roots in a 32-bit entry: never loaded.
  uint32_t junk = 0xdead0000;
  uint64_t at = kTrampoline + MINT_TRAMP_TABLE_OFFSET + (uint64_t{5} << MINT_TRAMP_ENTRY_SHIFT);
  uc_mem_write(core.uc, at + MINT_TRAMP_ENTRY_PML4, &junk, 4);
  uc_mem_write(core.uc, at + MINT_TRAMP_ENTRY_PML5, &junk, 4);
  ASSERT_EQ(uc_emu_start(core.uc, kTrampoline, EntryFor(5), 1000000, 10000), UC_ERR_OK);
  EXPECT_EQ(Reg(core, UC_X86_REG_EIP), EntryFor(5));
  EXPECT_EQ(Reg(core, UC_X86_REG_CR0) & 0x80000000u, 0u) << "paging off";
  EXPECT_EQ(Reg(core, UC_X86_REG_CS), uint32_t{MINT_BOOT_CS});
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

// A suspended node's boot core (MINT_ENTRY_RESUME): still in real mode, caches back on, it
// far-jumps to its kernel's wakeup code, which is not page aligned, for every xAPIC ID; no
// stamp (the status page is out of real mode's reach), no protected mode.
TEST(Trampoline, ResumeEntryJumpsToTheWakeupCodeInRealMode) {
  for (uint32_t apic = 0; apic < 255; ++apic) {
    Core core;
    core.apic = apic;
    Boot(core, {apic});
    uint32_t wakeup = 0x70000 + apic * 0x40 + 0x24;  // like the kernel's wakeup_start
    uint64_t at =
        kTrampoline + MINT_TRAMP_TABLE_OFFSET + (uint64_t{apic} << MINT_TRAMP_ENTRY_SHIFT);
    uint32_t flags = MINT_ENTRY_RESUME, far = (wakeup >> 4) << 16 | (wakeup & 0xf);
    uc_mem_write(core.uc, at + MINT_TRAMP_ENTRY_FLAGS, &flags, 4);
    uc_mem_write(core.uc, at + MINT_TRAMP_ENTRY_RESUME, &far, 4);
    uc_err err = uc_emu_start(core.uc, kTrampoline, wakeup, 1000000, 1000);
    ASSERT_EQ(err, UC_ERR_OK) << "APIC ID " << apic << ": " << uc_strerror(err);
    EXPECT_EQ(Reg(core, UC_X86_REG_CS), wakeup >> 4) << apic;
    EXPECT_EQ(Reg(core, UC_X86_REG_EIP) & 0xffff, wakeup & 0xf) << apic;
    EXPECT_EQ(Reg(core, UC_X86_REG_CR0) & 1u, 0u) << "still real mode";
    EXPECT_EQ(Reg(core, UC_X86_REG_CR0) & 0x60000000u, 0u) << "CD and NW cleared";
    mint_status_page page{};
    uc_mem_read(core.uc, StatusFor(apic), &page, sizeof(page));
    EXPECT_EQ(page.tsc_trampoline, 0u);
    if (HasFailure()) break;
  }
}

}  // namespace
