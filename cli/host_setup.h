// mint host-setup: the host kernel options a plan needs, compared with the running kernel's
// and with GRUB's next boot, and with consent written as a GRUB drop-in. What the commands
// print is made here from plain values (cli/host_setup_test.cc); the files are read and
// written by hostio/boot_config.h.
#pragma once

#include <string>
#include <vector>

#include "host_cmdline.h"
#include "plan.h"

namespace mint::cli {

// A comparison as lines for people, each indented by two spaces:
// "  missing   maxcpus=1", "  present   memmap=0x20000000$0x40000000 (memmap=1G$0x40000000)",
// "  conflict  maxcpus=1: maxcpus=4 is the line's last maxcpus=, and the kernel takes it",
// then each problem as "  problem   ...".
std::vector<std::string> DiffLines(const CmdlineDiff& diff);

// What mint check --live adds about the host: the options the plan needs that the running
// kernel's command line (`cmdline`, /proc/cmdline's text) lacks or contradicts, and what Secure
// Boot means for the module. Empty when nothing is to be said.
std::vector<std::string> HostNotes(const Plan& plan, const std::string& plan_path,
                                   const std::string& cmdline, const SecureBootState& secure_boot);

}  // namespace mint::cli
