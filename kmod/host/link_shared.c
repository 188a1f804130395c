// SPDX-License-Identifier: GPL-2.0
/* The network link code both modules share (kmod/link/), built into mint.ko. */
#include "link/ring.c"
#include "link/link.c"
