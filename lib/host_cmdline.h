// The host's kernel command line, pure: what a plan needs of it (HostKernelOptions, plan.h)
// compared with what a command line has (the running kernel's /proc/cmdline, or what GRUB
// will pass at the next boot), the GRUB drop-in that adds what is missing, and what the
// firmware's Secure Boot state means for Mint's module. mint host-setup and mint check --live
// use it; hostio/boot_config.h reads and writes the files. docs/hardware.md has the facts behind
// it (GRUB's two layers of quoting, Debian's lockdown and DKMS signing).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace mint {

// The words of a kernel command line as the kernel splits them (lib/cmdline.c next_arg):
// blanks separate words, double quotes group blanks into one word and are dropped.
std::vector<std::string> SplitKernelCmdline(std::string_view line);

// The part of an option before its '=' ("memmap" for "memmap=512M$0x40000000").
std::string_view OptionName(std::string_view option);

// One option the plan needs, compared with a command line.
struct OptionStatus {
  enum class State { kPresent, kMissing, kConflict };
  std::string option;  // as the plan needs it: "memmap=0x20000000$0x40000000"
  State state = State::kMissing;
  // The line's words behind the state: what satisfies the option ("memmap=1G$0x40000000"
  // covers a smaller reservation), or what conflicts with it.
  std::vector<std::string> found;
  std::string why;  // for a conflict: what it would do, for people
};

struct CmdlineDiff {
  std::vector<OptionStatus> options;  // in the order the plan needs them
  // Words of the line that are wrong in themselves, each with why ("memmap=512Mx40000000: not
  // SIZE$ADDR ..."), found whatever the plan needs.
  std::vector<std::string> problems;
  bool Complete() const;  // every option present, no conflict
  std::vector<std::string> Missing() const;
  std::vector<const OptionStatus*> Conflicts() const;
};

// Compares the options a plan needs (HostKernelOptions) with a command line's words:
// - memmap=SIZE$ADDR is present when the line's memmap=...$... reservations (several may
//   share one memmap= separated by commas) cover the range; a memmap= of another kind
//   (@ usable RAM, # ACPI data, ! persistent memory, % retyped, exactmap) overlapping it is a
//   conflict, and a memmap= the kernel cannot read is a problem;
// - any other option (maxcpus, no_ipi_broadcast) takes the line's last occurrence, as the
//   kernel does: the same value is present, another value a conflict.
// Words after a "--" are init's arguments, not the kernel's, and do not count.
CmdlineDiff CompareHostCmdline(const std::vector<std::string>& required,
                               const std::vector<std::string>& words);

// The kernel's words from GRUB's `linux` line arguments as grub.cfg holds them (after
// grub-mkconfig's shell has read /etc/default/grub): GRUB splits on blanks, takes quotes and
// backslash escapes (grub-core/script/yylex.l, then wildcard_unescape in execute.c), and
// replaces an unescaped $NAME or ${NAME} by a variable of its own, here taken as empty. Each
// word where that happened is also listed in `expanded`, as written.
struct GrubWords {
  std::vector<std::string> words;
  std::vector<std::string> expanded;
};
GrubWords SplitGrubArgs(std::string_view args);

// `option` as it must be written inside a double-quoted value in /etc/default/grub (a shell
// file grub-mkconfig sources) for the kernel to receive it unchanged: first escaped for GRUB's
// own script language (a backslash before $ \ " ' and the other characters GRUB treats
// specially), then for the shell's double quotes (a backslash before \ $ " `). So
// memmap=512M$0x40000000 is written memmap=512M\\\$0x40000000. An error names an option
// holding a character that cannot be passed (a control character, a blank).
Result<std::string> GrubConfigEscape(std::string_view option);

// The drop-in /etc/default/grub.d/mint.cfg: a comment naming the plan, then one line appending
// `options` to GRUB_CMDLINE_LINUX (which every menu entry gets, the recovery ones too).
Result<std::string> GrubDropIn(const std::vector<std::string>& options,
                               const std::string& plan_path);

// The files grub-mkconfig sources, in its order: default/grub first (when present), then
// default/grub.d/*.cfg in name order (the shell's glob, byte order under LANG=C); `cfg_names`
// are the names in grub.d. `drop_in` (a name such as "mint.cfg") is put in its place whether
// or not it is among them, or left out when `with_drop_in` is false. Paths are relative to
// the configuration directory ("grub", "grub.d/10-x.cfg").
std::vector<std::string> GrubSourceOrder(bool have_default, std::vector<std::string> cfg_names,
                                         const std::string& drop_in, bool with_drop_in);

// Secure Boot as the firmware reports it: the EFI variable
// SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c as efivarfs shows it (4 bytes of attributes,
// then the value; 1 is on). None for bytes that are not such a variable.
std::optional<bool> ParseSecureBootVariable(const std::vector<uint8_t>& bytes);

// The kernel's lockdown mode from /sys/kernel/security/lockdown ("none [integrity]
// confidentiality"): the bracketed word, or "" when the text names none.
std::string ParseLockdown(std::string_view text);

// The firmware and kernel facts that decide whether mint.ko may load.
struct SecureBootState {
  bool efi = false;                 // booted through EFI (/sys/firmware/efi exists)
  std::optional<bool> secure_boot;  // none: the variable is absent or unreadable
  std::string lockdown;             // "none", "integrity", "confidentiality", or "" unknown
  bool Restricts() const;           // Secure Boot on or the kernel locked down
};

// What the state means for Mint, for people: empty when nothing restricts modules; else what
// Debian's lockdown does to unsigned modules and what to run (DKMS's MOK key, mokutil).
std::vector<std::string> SecureBootAdvice(const SecureBootState& state);

}  // namespace mint
