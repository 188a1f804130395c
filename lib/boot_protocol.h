// The x86 Linux boot protocol's binary layouts: the setup header inside a bzImage and the
// zero page (struct boot_params) a loader hands the kernel. Layouts follow
// Documentation/arch/x86/boot.rst ("The Real-Mode Kernel Header", protocol 2.15) and
// arch/x86/include/uapi/asm/bootparam.h (Linux 6.1); every offset is asserted below.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mint {

constexpr uint64_t kPage = 0x1000;
constexpr uint64_t k4GiB = uint64_t{1} << 32;  // what 32-bit pointers (and the 32-bit entry) reach

// boot.rst, "The Real-Mode Kernel Header": starts at offset 0x1f1 of the image and of the
// zero page.
struct __attribute__((packed)) SetupHeader {
  uint8_t setup_sects;
  uint16_t root_flags;
  uint32_t syssize;
  uint16_t ram_size;
  uint16_t vid_mode;
  uint16_t root_dev;
  uint16_t boot_flag;  // 0xAA55
  uint16_t jump;       // a short jump; its second byte gives the header's length
  uint32_t header;     // "HdrS"
  uint16_t version;
  uint32_t realmode_swtch;
  uint16_t start_sys_seg;
  uint16_t kernel_version;  // pointer to the version string, minus 0x200
  uint8_t type_of_loader;
  uint8_t loadflags;
  uint16_t setup_move_size;
  uint32_t code32_start;
  uint32_t ramdisk_image;
  uint32_t ramdisk_size;
  uint32_t bootsect_kludge;
  uint16_t heap_end_ptr;
  uint8_t ext_loader_ver;
  uint8_t ext_loader_type;
  uint32_t cmd_line_ptr;
  uint32_t initrd_addr_max;
  uint32_t kernel_alignment;
  uint8_t relocatable_kernel;
  uint8_t min_alignment;
  uint16_t xloadflags;
  uint32_t cmdline_size;
  uint32_t hardware_subarch;
  uint64_t hardware_subarch_data;
  uint32_t payload_offset;
  uint32_t payload_length;
  uint64_t setup_data;
  uint64_t pref_address;
  uint32_t init_size;
  uint32_t handover_offset;
  uint32_t kernel_info_offset;
};

// Offsets of the setup header's fields counted from the start of the image (boot.rst table).
constexpr size_t kSetupHeaderOffset = 0x1f1;
#define MINT_HDR_AT(field, offset) \
  static_assert(kSetupHeaderOffset + offsetof(SetupHeader, field) == (offset), #field)
MINT_HDR_AT(setup_sects, 0x1f1);
MINT_HDR_AT(root_flags, 0x1f2);
MINT_HDR_AT(syssize, 0x1f4);
MINT_HDR_AT(boot_flag, 0x1fe);
MINT_HDR_AT(jump, 0x200);
MINT_HDR_AT(header, 0x202);
MINT_HDR_AT(version, 0x206);
MINT_HDR_AT(kernel_version, 0x20e);
MINT_HDR_AT(type_of_loader, 0x210);
MINT_HDR_AT(loadflags, 0x211);
MINT_HDR_AT(code32_start, 0x214);
MINT_HDR_AT(ramdisk_image, 0x218);
MINT_HDR_AT(ramdisk_size, 0x21c);
MINT_HDR_AT(heap_end_ptr, 0x224);
MINT_HDR_AT(cmd_line_ptr, 0x228);
MINT_HDR_AT(initrd_addr_max, 0x22c);
MINT_HDR_AT(kernel_alignment, 0x230);
MINT_HDR_AT(relocatable_kernel, 0x234);
MINT_HDR_AT(min_alignment, 0x235);
MINT_HDR_AT(xloadflags, 0x236);
MINT_HDR_AT(cmdline_size, 0x238);
MINT_HDR_AT(hardware_subarch, 0x23c);
MINT_HDR_AT(payload_offset, 0x248);
MINT_HDR_AT(payload_length, 0x24c);
MINT_HDR_AT(setup_data, 0x250);
MINT_HDR_AT(pref_address, 0x258);
MINT_HDR_AT(init_size, 0x260);
MINT_HDR_AT(handover_offset, 0x264);
MINT_HDR_AT(kernel_info_offset, 0x268);
#undef MINT_HDR_AT
static_assert(sizeof(SetupHeader) == 0x26c - 0x1f1);

constexpr uint16_t kBootFlag = 0xAA55;
constexpr uint32_t kHdrSMagic = 0x53726448;  // "HdrS"
// loadflags (boot.rst)
constexpr uint8_t kLoadedHigh = 1 << 0;
constexpr uint8_t kKaslrFlag = 1 << 1;
constexpr uint8_t kCanUseHeap = 1 << 7;
// xloadflags (boot.rst)
constexpr uint16_t kXlfKernel64 = 1 << 0;
constexpr uint16_t kXlfCanBeLoadedAbove4G = 1 << 1;
// type_of_loader: 0xff means "undefined" (boot.rst, "Details of Header Fields").
constexpr uint8_t kLoaderUndefined = 0xff;

// One e820 entry (bootparam.h, struct boot_e820_entry).
struct __attribute__((packed)) E820Entry {
  uint64_t addr;
  uint64_t size;
  uint32_t type;
};
static_assert(sizeof(E820Entry) == 20);
enum class E820Type : uint32_t { kRam = 1, kReserved = 2, kAcpi = 3, kNvs = 4, kUnusable = 5 };
constexpr size_t kE820MaxEntries = 128;  // E820_MAX_ENTRIES_ZEROPAGE

// The zero page (bootparam.h, struct boot_params; "Zero Page" in
// Documentation/arch/x86/zero-page.rst). Only the fields a loader sets are named; the rest
// are kept as opaque padding of the right size.
struct __attribute__((packed)) BootParams {
  uint8_t screen_info[0x40];        // 0x000
  uint8_t apm_bios_info[0x14];      // 0x040
  uint8_t pad2[4];                  // 0x054
  uint64_t tboot_addr;              // 0x058
  uint8_t ist_info[0x10];           // 0x060
  uint64_t acpi_rsdp_addr;          // 0x070
  uint8_t pad3[8];                  // 0x078
  uint8_t hd0_info[16];             // 0x080
  uint8_t hd1_info[16];             // 0x090
  uint8_t sys_desc_table[0x10];     // 0x0a0
  uint8_t olpc_ofw_header[0x10];    // 0x0b0
  uint32_t ext_ramdisk_image;       // 0x0c0
  uint32_t ext_ramdisk_size;        // 0x0c4
  uint32_t ext_cmd_line_ptr;        // 0x0c8
  uint8_t pad4[112];                // 0x0cc
  uint32_t cc_blob_address;         // 0x13c
  uint8_t edid_info[0x80];          // 0x140
  uint8_t efi_info[0x20];           // 0x1c0
  uint32_t alt_mem_k;               // 0x1e0
  uint32_t scratch;                 // 0x1e4
  uint8_t e820_entries;             // 0x1e8
  uint8_t eddbuf_entries;           // 0x1e9
  uint8_t edd_mbr_sig_buf_entries;  // 0x1ea
  uint8_t kbd_status;               // 0x1eb
  uint8_t secure_boot;              // 0x1ec
  uint8_t pad5[2];                  // 0x1ed
  uint8_t sentinel;                 // 0x1ef
  uint8_t pad6[1];                  // 0x1f0
  SetupHeader hdr;                  // 0x1f1
  uint8_t pad7[0x290 - 0x1f1 - sizeof(SetupHeader)];
  uint32_t edd_mbr_sig_buffer[16];        // 0x290
  E820Entry e820_table[kE820MaxEntries];  // 0x2d0
  uint8_t pad8[48];                       // 0xcd0
  uint8_t eddbuf[6 * 82];                 // 0xd00
  uint8_t pad9[276];                      // 0xeec
};
static_assert(sizeof(BootParams) == 4096);
static_assert(offsetof(BootParams, tboot_addr) == 0x058);
static_assert(offsetof(BootParams, acpi_rsdp_addr) == 0x070);
static_assert(offsetof(BootParams, ext_ramdisk_image) == 0x0c0);
static_assert(offsetof(BootParams, ext_ramdisk_size) == 0x0c4);
static_assert(offsetof(BootParams, ext_cmd_line_ptr) == 0x0c8);
static_assert(offsetof(BootParams, cc_blob_address) == 0x13c);
static_assert(offsetof(BootParams, alt_mem_k) == 0x1e0);
static_assert(offsetof(BootParams, e820_entries) == 0x1e8);
static_assert(offsetof(BootParams, sentinel) == 0x1ef);
static_assert(offsetof(BootParams, hdr) == 0x1f1);
static_assert(offsetof(BootParams, edd_mbr_sig_buffer) == 0x290);
static_assert(offsetof(BootParams, e820_table) == 0x2d0);
static_assert(offsetof(BootParams, eddbuf) == 0xd00);

}  // namespace mint
