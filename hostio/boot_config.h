// The files behind the host's boot options (mint host-setup, mint check --live): the running
// kernel's command line, GRUB's configuration as grub-mkconfig reads it, Mint's GRUB drop-in,
// the firmware's Secure Boot state, and running update-grub. Every path is under a root
// directory: "/" on a machine, a directory shaped like one in tests. The comparisons and the
// drop-in's text are pure (lib/host_cmdline.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "child.h"
#include "host_cmdline.h"
#include "result.h"

namespace mint {

// Where the drop-in lives, relative to the root.
inline constexpr const char* kGrubDropIn = "etc/default/grub.d/mint.cfg";

// `relative` under `root` ("/" + "proc/cmdline" is "/proc/cmdline").
std::string UnderRoot(const std::string& root, const std::string& relative);

// ROOT/proc/cmdline, as text.
Result<std::string> ReadRunningCmdline(const std::string& root);

// GRUB's kernel options for the next boot, as grub-mkconfig's shell leaves them.
struct GrubConfig {
  bool present = false;              // ROOT/etc/default/grub or a grub.d/*.cfg exists
  std::string cmdline_linux;         // GRUB_CMDLINE_LINUX: every menu entry
  std::string cmdline_default;       // GRUB_CMDLINE_LINUX_DEFAULT: after it, not in recovery
  std::vector<std::string> sourced;  // the files read, in order (full paths)
  // What 10_linux puts on a normal entry's linux line: LINUX, then DEFAULT.
  std::string Args() const { return cmdline_linux + " " + cmdline_default; }
};

// Sources ROOT/etc/default/grub and ROOT/etc/default/grub.d/*.cfg with /bin/sh as
// grub-mkconfig does (same order, same shell), with `drop_in` in place of mint.cfg (its
// text; none: without it) and prints the two variables. An error carries the shell's output
// (a syntax error in the user's file, say).
Result<GrubConfig> ReadGrubConfig(const std::string& root,
                                  const std::optional<std::string>& drop_in);

// ROOT/etc/default/grub.d/mint.cfg's text; none when it does not exist.
Result<std::optional<std::string>> ReadDropIn(const std::string& root);

// Writes `text` to `path` atomically: a temporary file in the same directory (created when
// missing), flushed, then renamed over `path`.
Result<void> WriteFileAtomic(const std::string& path, const std::string& text);

// Puts the drop-in back as it was: `previous` written again, or the file removed when none.
Result<void> RestoreDropIn(const std::string& root, const std::optional<std::string>& previous);

// A command run through /bin/sh -c, its standard output and error together.
Result<CommandResult> RunShellCommand(const std::string& command);

// ROOT/sys/firmware/efi, its SecureBoot variable, ROOT/sys/kernel/security/lockdown.
SecureBootState ReadSecureBootState(const std::string& root);

}  // namespace mint
