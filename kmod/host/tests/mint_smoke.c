// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Smoke test of the host module, run as root inside a QEMU guest booted with
 *   -smp 2 ... maxcpus=1 memmap=512M$0x40000000
 * (see run_qemu.sh). It drives /dev/mint through every ioctl with good and bad arguments,
 * checks that a refusal leaves nothing owned (/proc/iomem, a later CREATE on the same core),
 * that the host cannot online an owned core, that the module cannot be unloaded while it
 * owns a node, and boots a fake "kernel" on APIC ID 1 through the real trampoline: the fake
 * writes READY into its status page and spins on a heartbeat.
 *
 * Every kernel-level refusal is tried here, in this one boot, through refuse(): the summary
 * at the end counts, per ioctl, how many were tried and how many held. Raising the kernel's
 * lockdown cannot be undone, so it is the very last step.
 *
 * Usage: mint_smoke TRAMPOLINE.bin. Prints one PASS/FAIL line per check, exits non-zero on
 * any failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mint/abi.h"

/* <linux/capability.h> would clash with abi.h's own __u64 typedefs; mirror what we need. */
#define CAP_VERSION_3 0x20080522
#define CAP_SYS_BOOT 22
struct cap_header {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t effective, permitted, inheritable;
};

#define TRAMP_PHYS 0x10000ull
#define TRAMP_FIRST 0x60000ull /* installed here first, over a zeroed low slice, then moved */
#define LOW_START 0x20000ull
#define LOW_SIZE 0x10000ull
#define NODE_START 0x40000000ull /* memmap=512M$0x40000000 */
#define NODE_SIZE 0x10000000ull
#define STATUS_PHYS 0x4ffd0000ull /* Mint's shared area (0x30000) ends where the range does */
#define FAKE_ENTRY 0x41000000ull
#define BOOT_PARAMS 0x40ff0000ull
#define STORE_START 0x5c000000ull
#define STORE_SIZE 0x4000000ull
#define WRAP_PAGE 0xfffffffffffff000ull /* the last page below 2^64 */
#define LINK_START 0x50000000ull /* free reserved memory, between the node and the store */
#define LINK_SIZE 0x203000ull    /* MINT_LINK_REGION(1 MiB) */
#define DLINK_START 0x50400000ull /* a direct link's region, clear of the host link's */

/* mint.ko's fault_inject bits (test only, kmod/host/README.md). */
#define FAULT_SCRUB_MAP 0x1
#define FAULT_INIT 0x2
#define FAULT_SLOW 0x4

#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * The fake kernel: entered in 32-bit flat protected mode by the trampoline with ESI =
 * boot_params, where the smoke LOADs a struct fake_params (all zero: nothing to do). It stores
 * ESI into message[0..3] and the number of non-zero dwords in [scan, scan + scan_size) into
 * message[4..7]; with warm_reset set it does what a stock kernel's secondary-core bring-up
 * does to the machine's legacy state (CMOS shutdown byte 0xa, warm-reset vector at 0x467);
 * then it writes READY, makes the ACPI sleep request in `sleep` (0 for none) and counts a
 * heartbeat.
 */
struct fake_params {
	uint32_t scan;
	uint32_t scan_size;
	uint32_t sleep;
	uint32_t warm_reset;
};
extern const unsigned char fake_start[], fake_end[];
__asm__(".pushsection .rodata\n"
	".globl fake_start\n"
	"fake_start:\n"
	".code32\n"
	"movl $" STR(STATUS_PHYS) ", %edi\n"
	"movl %esi, 40(%edi)\n"
	"movl 0(%esi), %ebx\n"
	"movl 4(%esi), %ecx\n"
	"shrl $2, %ecx\n"
	"xorl %eax, %eax\n"
	"jecxz 2f\n"
	"1: cmpl $0, (%ebx)\n"
	"je 3f\n"
	"incl %eax\n"
	"3: addl $4, %ebx\n"
	"loop 1b\n"
	"2: movl %eax, 44(%edi)\n"
	"movl 12(%esi), %edx\n"
	"testl %edx, %edx\n"
	"jz 4f\n"
	"movb $0x0f, %al\n"
	"outb %al, $0x70\n"
	"movb $0x0a, %al\n"
	"outb %al, $0x71\n"
	"movl %edx, 0x467\n"
	"4: movl $2, 4(%edi)\n"
	"movl $0x5441544e, (%edi)\n"
	"movl 8(%esi), %edx\n"
	"movb %dl, 0x800(%edi)\n"
	"5: addl $1, 24(%edi)\n"
	"adcl $0, 28(%edi)\n"
	"pause\n"
	"jmp 5b\n"
	".code64\n"
	".globl fake_end\n"
	"fake_end:\n"
	".popsection\n");

static int fd;
static int failures;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

/* Refusals tried and held, per ioctl (or mechanism), for the table at the end. */
static const char *const groups[] = { "dispatch", "TRAMPOLINE", "CREATE", "LOAD", "READ",
				      "START", "RESUME", "STATUS", "DESTROY", "SHARED",
				      "STORE", "LINK", "DLINK", "CPU", "MEM", "mmap", "hotplug", "rmmod", "suspend",
				      "lockdown" };
#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))
static int tried[N_GROUPS], held[N_GROUPS];

static int group_index(const char *group)
{
	unsigned int i;

	for (i = 0; i < N_GROUPS; i++)
		if (!strcmp(groups[i], group))
			return i;
	fprintf(stderr, "unknown refusal group %s\n", group);
	exit(2);
}

/* A refusal: `ret` must be `want` (a negative errno). */
static int refuse(const char *group, int ret, int want, const char *fmt, ...)
{
	int g = group_index(group);
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	tried[g]++;
	if (ret == want)
		held[g]++;
	check(ret == want, "refused: %s %s -> %d (want %d)", group, text, ret, want);
	return ret == want;
}

static void hdr(struct mint_hdr *h)
{
	h->magic = MINT_ABI_MAGIC;
	h->revision = MINT_ABI_REVISION;
}

/* ioctl returning 0 or -errno, and the module's reason on failure. */
static int call(unsigned long cmd, void *arg, char *why)
{
	struct mint_last_error le;
	int ret = ioctl(fd, cmd, arg) ? -errno : 0;

	if (why) {
		memset(&le, 0, sizeof(le));
		hdr(&le.hdr);
		why[0] = 0;
		if (!ioctl(fd, MINT_IOC_LAST_ERROR, &le))
			snprintf(why, MINT_ERROR_LEN, "%s", le.text);
	}
	return ret;
}

static int iomem_count(const char *needle)
{
	FILE *f = fopen("/proc/iomem", "r");
	char line[256];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

/*
 * 1 if `size` bytes of physical memory at `phys` read as zero through /dev/mem, 0 if not,
 * -1 if they cannot be read (claimed memory is refused). Only meaningful above 1 MiB: the
 * kernel's devmem_is_allowed() hands out System RAM below 1 MiB as zeros whatever it holds.
 */
static int phys_is_zero(unsigned long long phys, unsigned long long size)
{
	static unsigned char buf[1 << 16];
	int mem = open("/dev/mem", O_RDONLY);
	int zero = 1;

	if (mem < 0)
		return -1;
	while (size && zero == 1) {
		size_t n = size < sizeof(buf) ? size : sizeof(buf);
		size_t i;

		if (pread(mem, buf, n, (off_t)phys) != (ssize_t)n) {
			zero = -1;
			break;
		}
		for (i = 0; i < n; i++)
			if (buf[i])
				zero = 0;
		phys += n;
		size -= n;
	}
	close(mem);
	return zero;
}

/* The host's legacy state a node's secondary-core bring-up writes (README, "Legacy state"). */
static unsigned int cmos_shutdown(void)
{
	outb(0x0f, 0x70);
	return inb(0x71);
}

static uint32_t warm_reset_vector(void)
{
	int mem = open("/dev/mem", O_RDONLY);
	uint32_t v = 0xdeadbeef;

	if (mem >= 0) {
		if (pread(mem, &v, sizeof(v), 0x467) != sizeof(v))
			v = 0xdeadbeef;
		close(mem);
	}
	return v;
}

static void good_node(struct mint_create *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	hdr(&c->hdr);
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->n_cpus = 1;
	c->apic_ids[0] = 1;
	c->n_ranges = 2;
	c->ranges[0] = (struct mint_range){ LOW_START, LOW_SIZE };
	c->ranges[1] = (struct mint_range){ NODE_START, NODE_SIZE };
	c->status_phys = STATUS_PHYS;
}

static int destroy(uint32_t id, char *why)
{
	struct mint_destroy d;

	memset(&d, 0, sizeof(d));
	hdr(&d.hdr);
	d.id = id;
	return call(MINT_IOC_DESTROY, &d, why);
}

/* A CREATE that must fail with `want` and leave nothing behind. */
static void bad_create(const char *what, struct mint_create *c, int want)
{
	char why[MINT_ERROR_LEN];
	int ret = call(MINT_IOC_CREATE, c, why);

	refuse("CREATE", ret, want, "%s: \"%s\"", what, why);
	if (!ret)
		destroy(c->id, NULL); /* keep the rest of the run meaningful */
	check(iomem_count("mint:") == 0, "  nothing claimed in /proc/iomem after it");
}

static int write_file(const char *path, const char *text)
{
	int f = open(path, O_WRONLY);
	int ret;

	if (f < 0)
		return -errno;
	ret = write(f, text, strlen(text)) < 0 ? -errno : 0;
	close(f);
	return ret;
}

static void fault_inject(unsigned int bits)
{
	char text[16];

	snprintf(text, sizeof(text), "%u", bits);
	check(write_file("/sys/module/mint/parameters/fault_inject", text) == 0,
	      "fault_inject = %u", bits);
}

static int status(uint32_t id, struct mint_node_status *s)
{
	memset(s, 0, sizeof(*s));
	hdr(&s->hdr);
	s->id = id;
	return call(MINT_IOC_STATUS, s, NULL);
}

static int load(uint32_t id, uint64_t phys, const void *data, uint64_t size, uint32_t flags,
		char *why)
{
	struct mint_load l;

	memset(&l, 0, sizeof(l));
	hdr(&l.hdr);
	l.id = id;
	l.flags = flags;
	l.phys = phys;
	l.data = (uintptr_t)data;
	l.size = size;
	return call(MINT_IOC_LOAD, &l, why);
}

static int read_node(uint32_t id, uint64_t phys, void *data, uint64_t size, uint32_t flags,
		     char *why)
{
	struct mint_load l;

	memset(&l, 0, sizeof(l));
	hdr(&l.hdr);
	l.id = id;
	l.flags = flags;
	l.phys = phys;
	l.data = (uintptr_t)data;
	l.size = size;
	return call(MINT_IOC_READ, &l, why);
}

static int shared(uint32_t id, uint32_t write, uint64_t offset, void *data, uint64_t size,
		  char *why)
{
	struct mint_shared_io io;

	memset(&io, 0, sizeof(io));
	hdr(&io.hdr);
	io.id = id;
	io.write = write;
	io.offset = offset;
	io.data = (uintptr_t)data;
	io.size = size;
	return call(MINT_IOC_SHARED, &io, why);
}

static int resume(uint32_t id, char *why)
{
	struct mint_resume r;

	memset(&r, 0, sizeof(r));
	hdr(&r.hdr);
	r.id = id;
	return call(MINT_IOC_RESUME, &r, why);
}

static int start(uint32_t id, char *why)
{
	struct mint_start s;

	memset(&s, 0, sizeof(s));
	hdr(&s.hdr);
	s.id = id;
	s.boot_params = BOOT_PARAMS;
	s.entry = FAKE_ENTRY;
	return call(MINT_IOC_START, &s, why);
}

static int store(uint64_t start, uint64_t size, struct mint_store *out, char *why)
{
	struct mint_store s;
	int ret;

	memset(&s, 0, sizeof(s));
	hdr(&s.hdr);
	s.start = start;
	s.size = size;
	ret = call(MINT_IOC_STORE, &s, why);
	if (out)
		*out = s;
	return ret;
}

/* mmap of /dev/mint: 0 or -errno. */
static int map_store(uint64_t offset, size_t len, int flags, void **out)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, (off_t)offset);

	if (p == MAP_FAILED)
		return -errno;
	if (out)
		*out = p;
	else
		munmap(p, len);
	return 0;
}

/* Where the module found the host's real-mode code, from its log line. */
static unsigned long long realmode_phys(void)
{
	FILE *p = popen("dmesg | sed -n 's/.*real-mode code found at \\(0x[0-9a-f]*\\)-.*/\\1/p'", "r");
	unsigned long long v = 0;

	if (p) {
		if (fscanf(p, "%llx", &v) != 1)
			v = 0;
		pclose(p);
	}
	return v;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Polls STATUS until the node is in `state`; how long it took in ms, or -1. */
static int wait_state(uint32_t id, uint32_t state, struct mint_node_status *st)
{
	int i, ret = 0;

	for (i = 0; i < 300; i++) {
		ret = status(id, st);
		if (ret || st->state == state)
			break;
		sleep_ms(10);
	}
	return !ret && st->state == state ? i * 10 : -1;
}

static void test_eperm(void)
{
	pid_t pid = fork();
	int st;

	if (!pid) {
		struct cap_header h = { CAP_VERSION_3, 0 };
		struct cap_data d[2];
		struct mint_info info;

		syscall(SYS_capget, &h, d);
		d[CAP_SYS_BOOT / 32].effective &= ~(1u << (CAP_SYS_BOOT % 32));
		if (syscall(SYS_capset, &h, d))
			_exit(2);
		memset(&info, 0, sizeof(info));
		hdr(&info.hdr);
		_exit(ioctl(fd, MINT_IOC_INFO, &info) == -1 && errno == EPERM ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	refuse("dispatch", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? -EPERM : 0, -EPERM,
	       "INFO without CAP_SYS_BOOT");
}

static void link_arg(struct mint_link_attach *l, unsigned int id)
{
	static const unsigned char host_mac[6] = { 0x02, 0x6d, 1, 2, 3, 0 };
	static const unsigned char node_mac[6] = { 0x02, 0x6d, 1, 2, 3, 1 };

	memset(l, 0, sizeof(*l));
	hdr(&l->hdr);
	l->id = id;
	l->phys = LINK_START;
	l->size = LINK_SIZE;
	snprintf(l->ifname, sizeof(l->ifname), "mint-smoke");
	memcpy(l->mac[0], host_mac, 6);
	memcpy(l->mac[1], node_mac, 6);
}

/*
 * LINK (docs/network.md) on node `id`, created and not started: every refusal, then a link
 * that works (its device and its claim appear), one too many, and the removal refused while the
 * node lives. The caller destroys the node, then removes the link.
 */
static void test_link(unsigned int id, unsigned int free_id)
{
	struct mint_link_attach l;
	char why[MINT_ERROR_LEN];
	int ret;

	link_arg(&l, id);
	memset(l.ifname, 'x', sizeof(l.ifname));
	ret = call(MINT_IOC_LINK, &l, why);
	refuse("LINK", ret, -EINVAL, "a device name with no NUL: \"%s\"", why);
	link_arg(&l, id);
	snprintf(l.ifname, sizeof(l.ifname), "a/b");
	ret = call(MINT_IOC_LINK, &l, why);
	refuse("LINK", ret, -EINVAL, "the device name a/b: \"%s\"", why);
	link_arg(&l, free_id);
	ret = call(MINT_IOC_LINK, &l, why);
	refuse("LINK", ret, -ENOENT, "for no node: \"%s\"", why);
	link_arg(&l, id);
	l.phys = LINK_START + 0x800;
	ret = call(MINT_IOC_LINK, &l, why);
	refuse("LINK", ret, -EINVAL, "an unaligned region: \"%s\"", why);
	link_arg(&l, id);
	l.phys = WRAP_PAGE;
	ret = call(MINT_IOC_LINK, &l, why);
	refuse("LINK", ret, -EINVAL, "a region wrapping past 2^64: \"%s\"", why);
	link_arg(&l, id);
	l.size = 0x40000;
	ret = call(MINT_IOC_LINK, &l, why);
	refuse("LINK", ret, -EINVAL, "a region too small for the smallest rings: \"%s\"", why);
	link_arg(&l, id);
	l.mac[1][0] = 0x01; /* multicast */
	ret = call(MINT_IOC_LINK, &l, why);
	refuse("LINK", ret, -EINVAL, "a multicast node address: \"%s\"", why);
	link_arg(&l, id);
	memcpy(l.mac[1], l.mac[0], 6);
	ret = call(MINT_IOC_LINK, &l, why);
	refuse("LINK", ret, -EINVAL, "the same address on both sides: \"%s\"", why);
	link_arg(&l, id);
	l.phys = NODE_START;
	ret = call(MINT_IOC_LINK, &l, why);
	refuse("LINK", ret, -EBUSY, "over the node's own memory: \"%s\"", why);
	link_arg(&l, id);
	l.phys = 0x1000000;
	ret = call(MINT_IOC_LINK, &l, why);
	refuse("LINK", ret, -EBUSY, "over System RAM: \"%s\"", why);

	link_arg(&l, id);
	ret = call(MINT_IOC_LINK, &l, why);
	check(ret == 0 && l.ring_size == 0x100000,
	      "LINK node %u -> %d, rings of 0x%x \"%s\"", id, ret, l.ring_size, why);
	check(access("/sys/class/net/mint-smoke", F_OK) == 0, "  the host has device mint-smoke");
	check(iomem_count("mint link") == 1, "  its region is claimed in /proc/iomem");
	ret = call(MINT_IOC_LINK, &l, why);
	refuse("LINK", ret, -EEXIST, "a second link for the node: \"%s\"", why);
	link_arg(&l, id);
	l.size = 0;
	ret = call(MINT_IOC_LINK, &l, why);
	refuse("LINK", ret, -EBUSY, "removing the link of a node that lives: \"%s\"", why);
	snprintf(l.ifname, sizeof(l.ifname), "mint-none");
	ret = call(MINT_IOC_LINK, &l, why);
	refuse("LINK", ret, -ENOENT, "removing a link that does not exist: \"%s\"", why);
}

static void dlink_arg(struct mint_dlink_attach *l, unsigned int id, unsigned int side)
{
	static const unsigned char mac0[6] = { 0x02, 0x6d, 4, 5, 6, 0 };
	static const unsigned char mac1[6] = { 0x02, 0x6d, 4, 5, 6, 1 };

	memset(l, 0, sizeof(*l));
	hdr(&l->hdr);
	l->id = id;
	l->side = side;
	l->phys = DLINK_START;
	l->size = LINK_SIZE;
	snprintf(l->name, sizeof(l->name), "smoke-peer");
	memcpy(l->mac[0], mac0, 6);
	memcpy(l->mac[1], mac1, 6);
}

/*
 * DLINK (a direct link between two nodes, docs/network.md) on node `id`, created and not
 * started: the refusals, then side 0 (the region is claimed), the same side again and the
 * node as both sides refused. The region goes back when the node is destroyed (no side left).
 */
static void test_dlink(unsigned int id, unsigned int free_id)
{
	struct mint_dlink_attach l;
	char why[MINT_ERROR_LEN];
	int ret;

	dlink_arg(&l, free_id, 0);
	ret = call(MINT_IOC_DLINK, &l, why);
	refuse("DLINK", ret, -ENOENT, "for no node: \"%s\"", why);
	dlink_arg(&l, id, 2);
	ret = call(MINT_IOC_DLINK, &l, why);
	refuse("DLINK", ret, -EINVAL, "side 2: \"%s\"", why);
	dlink_arg(&l, id, 0);
	l.pad0 = 1;
	ret = call(MINT_IOC_DLINK, &l, why);
	refuse("DLINK", ret, -EINVAL, "padding not zero: \"%s\"", why);
	dlink_arg(&l, id, 0);
	l.phys = DLINK_START + 0x800;
	ret = call(MINT_IOC_DLINK, &l, why);
	refuse("DLINK", ret, -EINVAL, "an unaligned region: \"%s\"", why);
	dlink_arg(&l, id, 0);
	l.size = 0x40000;
	ret = call(MINT_IOC_DLINK, &l, why);
	refuse("DLINK", ret, -EINVAL, "a region too small for the smallest rings: \"%s\"", why);
	dlink_arg(&l, id, 0);
	memcpy(l.mac[1], l.mac[0], 6);
	ret = call(MINT_IOC_DLINK, &l, why);
	refuse("DLINK", ret, -EINVAL, "the same address on both sides: \"%s\"", why);
	dlink_arg(&l, id, 0);
	l.phys = NODE_START;
	ret = call(MINT_IOC_DLINK, &l, why);
	refuse("DLINK", ret, -EBUSY, "over the node's own memory: \"%s\"", why);
	dlink_arg(&l, id, 0);
	l.phys = LINK_START;
	ret = call(MINT_IOC_DLINK, &l, why);
	refuse("DLINK", ret, -EBUSY, "over a link to the host: \"%s\"", why);

	dlink_arg(&l, id, 0);
	ret = call(MINT_IOC_DLINK, &l, why);
	check(ret == 0 && l.ring_size == 0x100000, "DLINK node %u side 0 -> %d, rings of 0x%x \"%s\"",
	      id, ret, l.ring_size, why);
	check(iomem_count("mint direct link") == 1, "  its region is claimed in /proc/iomem");
	ret = call(MINT_IOC_DLINK, &l, why);
	refuse("DLINK", ret, -EBUSY, "side 0 taken twice: \"%s\"", why);
	dlink_arg(&l, id, 1);
	ret = call(MINT_IOC_DLINK, &l, why);
	refuse("DLINK", ret, -EINVAL, "one node as both sides: \"%s\"", why);
}

static void test_link_removed(void)
{
	struct mint_link_attach l;
	char why[MINT_ERROR_LEN];
	int ret;

	link_arg(&l, 0);
	l.size = 0;
	ret = call(MINT_IOC_LINK, &l, why);
	check(ret == 0, "LINK remove mint-smoke once its node is gone -> %d \"%s\"", ret, why);
	check(access("/sys/class/net/mint-smoke", F_OK) != 0, "  the device is gone");
	check(iomem_count("mint link") == 0, "  and its claim");
}

static void test_unknown_ioctls(void)
{
	struct {
		struct mint_hdr hdr;
		char rest[64];
	} big;

	memset(&big, 0, sizeof(big));
	hdr(&big.hdr);
	refuse("dispatch", ioctl(fd, _IO(MINT_IOC_TYPE, 0x3f)) ? -errno : 0, -ENOTTY,
	       "an unknown command number");
	refuse("dispatch", ioctl(fd, _IOWR(MINT_IOC_TYPE, 0, big)) ? -errno : 0, -ENOTTY,
	       "INFO's number with another argument size");
	refuse("dispatch", ioctl(fd, _IOR(MINT_IOC_TYPE, 5, struct mint_node_status), &big) ?
	       -errno : 0, -ENOTTY, "STATUS's number with another direction");
	refuse("dispatch", ioctl(fd, _IOWR('x', 0, struct mint_info), &big) ? -errno : 0, -ENOTTY,
	       "INFO's layout under another ioctl type");
}

/*
 * Runs `op` on node `id` in a child with FAULT_SLOW set (each 2 MiB chunk waits 10 ms, the
 * module's lock dropped), checks that STATUS answers meanwhile, that another DESTROY of it is
 * refused while it runs, and that SIGKILL ends it within a chunk or two.
 */
static void interrupt_long_op(const char *what, uint32_t id, int (*op)(uint32_t id),
			      uint32_t state_after)
{
	struct mint_node_status st;
	char why[MINT_ERROR_LEN];
	double t0, t1, t_kill;
	pid_t pid;
	int ret, wst;

	fault_inject(FAULT_SLOW);
	pid = fork();
	if (!pid)
		_exit(op(id) ? 1 : 0);
	sleep_ms(300);
	t0 = now_ms();
	ret = status(id, &st);
	t1 = now_ms();
	check(ret == 0 && t1 - t0 < 100,
	      "  STATUS during the %s answers in %.1f ms (state %u), the module's lock is not held through it",
	      what, t1 - t0, st.state);
	ret = destroy(id, why);
	refuse("DESTROY", ret, -EBUSY, "of a node while a %s of it runs: \"%s\"", what, why);
	t_kill = now_ms();
	kill(pid, SIGKILL);
	waitpid(pid, &wst, 0);
	t1 = now_ms();
	check(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL && t1 - t_kill < 500,
	      "  SIGKILL ends the %s within %.0f ms", what, t1 - t_kill);
	fault_inject(0);
	ret = status(id, &st);
	check(ret == 0 && st.state == state_after, "  the node is left in state %u (want %u)",
	      st.state, state_after);
}

static int op_destroy(uint32_t id)
{
	return destroy(id, NULL);
}

static int op_load(uint32_t id)
{
	void *buf = mmap(NULL, NODE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return -1;
	return load(id, NODE_START, buf, NODE_SIZE, 0, NULL);
}

/*
 * The host's hibernation, then its suspend to idle, with a node running. Hibernation comes
 * first because, let through, it cannot hang this test: without swap it snapshots and then
 * fails writing the image. A suspend to idle let through would sleep until a wakeup event
 * QEMU may never send, so it is only tried once hibernation was refused.
 */
/* MINT_IOC_CPU's refusals (docs/cores.md) on node `id`, created and not started. */
static void test_cpu(unsigned int id)
{
	struct mint_cpu c;
	char why[MINT_ERROR_LEN];
	int ret;

	memset(&c, 0, sizeof(c));
	hdr(&c.hdr);
	c.op = MINT_CPU_QUERY;
	c.apic_id = 1;
	ret = call(MINT_IOC_CPU, &c, why);
	check(ret == 0 && c.owner == id && c.boot_core, "CPU QUERY: APIC 1 is node %u's boot core (owner %u) -> %d",
	      id, c.owner, ret);
	c.apic_id = 0;
	ret = call(MINT_IOC_CPU, &c, why);
	check(ret == 0 && c.owner == MINT_CPU_HOST && c.host_online, "CPU QUERY: APIC 0 is the host's, online -> %d", ret);
	c.apic_id = 200;
	refuse("CPU", call(MINT_IOC_CPU, &c, why), -ENODEV, "CPU QUERY of a core the host lacks");
	c.apic_id = 2;
	c.op = 9;
	refuse("CPU", call(MINT_IOC_CPU, &c, why), -EINVAL, "CPU with an unknown op");
	c.op = MINT_CPU_GIVE;
	c.flags = 0x80;
	refuse("CPU", call(MINT_IOC_CPU, &c, why), -EINVAL, "CPU with unknown flags");
	c.flags = 0;
	c.id = id;
	refuse("CPU", call(MINT_IOC_CPU, &c, why), -EBUSY, "CPU GIVE to a node not started");
	c.op = MINT_CPU_RELEASE;
	c.apic_id = 1;
	refuse("CPU", call(MINT_IOC_CPU, &c, why), -EBUSY, "CPU RELEASE of a node not started");
	c.op = MINT_CPU_RECLAIM;
	refuse("CPU", call(MINT_IOC_CPU, &c, why), -EPERM, "CPU RECLAIM of a boot core");
}

/* MINT_IOC_MEM's refusals (docs/memory-handover.md) on node `id`, created and not started. */
static void test_mem(unsigned int id)
{
	struct mint_mem m;
	char why[MINT_ERROR_LEN];
	int ret;

	memset(&m, 0, sizeof(m));
	hdr(&m.hdr);
	m.op = MINT_MEM_QUERY;
	m.id = id;
	m.start = 0x60000000;
	ret = call(MINT_IOC_MEM, &m, why);
	check(ret == 0 && !m.given && !m.granted, "MEM QUERY: nothing given to node %u -> %d", id, ret);
	m.op = 9;
	refuse("MEM", call(MINT_IOC_MEM, &m, why), -EINVAL, "MEM with an unknown op");
	m.op = MINT_MEM_GIVE;
	m.size = 0x8000000;
	refuse("MEM", call(MINT_IOC_MEM, &m, why), -EBUSY, "MEM GIVE to a node not started");
	m.op = MINT_MEM_RELEASE;
	refuse("MEM", call(MINT_IOC_MEM, &m, why), -ENOENT, "MEM RELEASE of a range not given");
	m.op = MINT_MEM_RECLAIM;
	refuse("MEM", call(MINT_IOC_MEM, &m, why), -ENOENT, "MEM RECLAIM of a range not given");
	m.op = MINT_MEM_QUERY;
	m.id = MINT_MAX_NODES;
	refuse("MEM", call(MINT_IOC_MEM, &m, why), -EINVAL, "MEM QUERY of a node id out of range");
}

static void test_host_suspend(const char *node)
{
	char grep[128];
	int ret;

	ret = write_file("/sys/power/state", "disk");
	refuse("suspend", ret, -EBUSY, "host hibernation while %s runs", node);
	snprintf(grep, sizeof(grep), "dmesg | grep -q 'mint: refusing host hibernation.*%s'", node);
	check(system(grep) == 0, "  the log names %s as the reason", node);
	if (ret != -EBUSY)
		return;
	ret = write_file("/sys/power/state", "freeze");
	refuse("suspend", ret, -EBUSY, "host suspend to idle while %s runs", node);
	snprintf(grep, sizeof(grep), "dmesg | grep -q 'mint: refusing host suspend.*%s'", node);
	check(system(grep) == 0, "  the log names %s as the reason", node);
}

static void summary(void)
{
	unsigned int g;
	int t = 0, h = 0;

	printf("REFUSALS %-12s %6s %6s\n", "ioctl", "tried", "hold");
	for (g = 0; g < N_GROUPS; g++) {
		printf("REFUSALS %-12s %6d %6d\n", groups[g], tried[g], held[g]);
		t += tried[g];
		h += held[g];
	}
	printf("REFUSALS %-12s %6d %6d\n", "total", t, h);
}

int main(int argc, char **argv)
{
	static unsigned char tramp[MINT_TRAMPOLINE_CODE_SIZE + 1];
	static uint8_t pattern[4096], back[4096];
	struct mint_info info;
	struct mint_trampoline t;
	struct mint_create c, c2;
	struct mint_load l;
	struct mint_start s;
	struct mint_node_status st;
	struct mint_store so;
	struct fake_params fp;
	char why[MINT_ERROR_LEN];
	uint32_t id, id2;
	size_t tramp_size;
	unsigned char elcr_before[2] = { 0, 0 };
	unsigned int cmos_before;
	uint32_t vector_before;
	uint64_t hb1, hb2;
	uint8_t *map;
	FILE *tf;
	int ret, i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s TRAMPOLINE.bin\n", argv[0]);
		return 2;
	}
	tf = fopen(argv[1], "rb");
	if (!tf) {
		perror(argv[1]);
		return 2;
	}
	tramp_size = fread(tramp, 1, sizeof(tramp), tf);
	fclose(tf);

	fd = open("/dev/mint", O_RDWR);
	check(fd >= 0, "open /dev/mint");
	if (fd < 0)
		return 1;

	/* ---- header checks ---- */
	memset(&info, 0, sizeof(info));
	hdr(&info.hdr);
	ret = call(MINT_IOC_INFO, &info, NULL);
	check(ret == 0, "INFO -> %d: tsc_khz %llu nodes %u trampoline_ok %u x2apic %u", ret,
	      (unsigned long long)info.tsc_khz, info.nodes, info.trampoline_ok, info.x2apic);
	check(info.tsc_khz > 0, "INFO reports a TSC frequency");
	info.hdr.magic = 0x1234;
	ret = call(MINT_IOC_INFO, &info, why);
	refuse("dispatch", ret, -EPROTO, "INFO with bad magic: \"%s\"", why);
	hdr(&info.hdr);
	info.hdr.revision = MINT_ABI_REVISION + 1;
	refuse("dispatch", call(MINT_IOC_INFO, &info, NULL), -EPROTO, "INFO with bad revision");
	hdr(&info.hdr);
	info.pad0 = 1;
	refuse("dispatch", call(MINT_IOC_INFO, &info, NULL), -EINVAL, "INFO with non-zero pad");
	refuse("dispatch", ioctl(fd, MINT_IOC_INFO, (void *)16) ? -errno : 0, -EFAULT,
	       "INFO from a bad user pointer");
	test_eperm();
	test_unknown_ioctls();

	/*
	 * ---- A node before any trampoline; its low slice is where the trampoline goes first,
	 * so DESTROY's zeroing puts that slice in the module's known-zero table. ----
	 */
	good_node(&c, "early");
	c.ranges[0] = (struct mint_range){ TRAMP_FIRST, LOW_SIZE };
	ret = call(MINT_IOC_CREATE, &c, why);
	check(ret == 0, "CREATE early (no trampoline yet) -> %d \"%s\"", ret, why);
	ret = start(c.id, why);
	refuse("START", ret, -ENXIO, "without a trampoline: \"%s\"", why);
	ret = resume(c.id, why);
	refuse("RESUME", ret, -ENXIO, "without a trampoline: \"%s\"", why);
	test_link(c.id, c.id + 1);
	test_dlink(c.id, c.id + 1);
	check(destroy(c.id, NULL) == 0, "DESTROY early");
	check(iomem_count("mint direct link") == 0, "  the direct link's region went back with it");
	test_link_removed();
	check(iomem_count("mint") == 0, "  nothing claimed after it");

	/* ---- TRAMPOLINE ---- */
	memset(&t, 0, sizeof(t));
	hdr(&t.hdr);
	t.code = (uintptr_t)tramp;
	t.code_size = tramp_size;
	t.phys = TRAMP_PHYS + 0x800;
	ret = call(MINT_IOC_TRAMPOLINE, &t, why);
	refuse("TRAMPOLINE", ret, -EINVAL, "unaligned: \"%s\"", why);
	t.phys = 0xff000;
	ret = call(MINT_IOC_TRAMPOLINE, &t, why);
	refuse("TRAMPOLINE", ret, -EINVAL, "crossing 1 MiB: \"%s\"", why);
	t.phys = WRAP_PAGE;
	ret = call(MINT_IOC_TRAMPOLINE, &t, why);
	refuse("TRAMPOLINE", ret, -EINVAL, "at 0x%llx (its end wraps past 2^64): \"%s\"",
	       WRAP_PAGE, why);
	t.phys = 0x9f000;
	ret = call(MINT_IOC_TRAMPOLINE, &t, why);
	refuse("TRAMPOLINE", ret, -EINVAL, "over the EBDA: \"%s\"", why);
	t.phys = 0;
	ret = call(MINT_IOC_TRAMPOLINE, &t, why);
	refuse("TRAMPOLINE", ret, -EINVAL, "at page 0 (not RAM): \"%s\"", why);
	t.phys = realmode_phys();
	if (t.phys) {
		ret = call(MINT_IOC_TRAMPOLINE, &t, why);
		refuse("TRAMPOLINE", ret, -EBUSY, "over the host's real-mode code at 0x%llx: \"%s\"",
		       (unsigned long long)t.phys, why);
	} else {
		check(0, "the module logged where the host's real-mode code is");
	}
	t.phys = TRAMP_PHYS;
	t.code_size = MINT_TRAMPOLINE_CODE_SIZE + 1;
	ret = call(MINT_IOC_TRAMPOLINE, &t, why);
	refuse("TRAMPOLINE", ret, -EINVAL, "code too big: \"%s\"", why);
	t.code_size = 0;
	ret = call(MINT_IOC_TRAMPOLINE, &t, why);
	refuse("TRAMPOLINE", ret, -EINVAL, "no code: \"%s\"", why);
	t.code_size = tramp_size;
	t.code = 16;
	ret = call(MINT_IOC_TRAMPOLINE, &t, why);
	refuse("TRAMPOLINE", ret, -EFAULT, "code at a bad user pointer: \"%s\"", why);
	t.code = (uintptr_t)tramp;
	t.pad0 = 1;
	ret = call(MINT_IOC_TRAMPOLINE, &t, why);
	refuse("TRAMPOLINE", ret, -EINVAL, "non-zero pad: \"%s\"", why);
	t.pad0 = 0;
	check(iomem_count("mint") == 0, "  nothing claimed after the refusals");
	t.phys = TRAMP_FIRST;
	ret = call(MINT_IOC_TRAMPOLINE, &t, why);
	check(ret == 0, "TRAMPOLINE first at 0x%llx, over early's zeroed low slice -> %d \"%s\"",
	      TRAMP_FIRST, ret, why);
	t.phys = TRAMP_PHYS;
	ret = call(MINT_IOC_TRAMPOLINE, &t, why);
	check(ret == 0, "TRAMPOLINE moved to 0x%llx (%zu bytes; no node exists) -> %d \"%s\"",
	      TRAMP_PHYS, tramp_size, ret, why);
	check(iomem_count("mint trampoline") == 1, "  /proc/iomem shows \"mint trampoline\" once");
	ret = call(MINT_IOC_TRAMPOLINE, &t, why);
	check(ret == 0, "TRAMPOLINE re-install at the same address -> %d", ret);

	/* ---- CREATE refusals ---- */
	good_node(&c, "alpha");
	c.ranges[1] = (struct mint_range){ 0x3f000000, 0x2000000 };
	bad_create("memory straddling System RAM", &c, -EINVAL);
	good_node(&c, "alpha");
	c.ranges[1] = (struct mint_range){ 0x10000000, 0x1000000 };
	bad_create("memory inside System RAM", &c, -EINVAL);
	good_node(&c, "alpha");
	c.ranges[1] = (struct mint_range){ 0x100000000ull, 0x1000000 };
	c.status_phys = 0;
	bad_create("memory in no resource at all", &c, -EINVAL);
	good_node(&c, "alpha");
	c.ranges[1] = (struct mint_range){ 0xfffffffff0000000ull, 0x20000000 };
	bad_create("a range wrapping past 2^64", &c, -EINVAL);
	good_node(&c, "alpha");
	c.ranges[1] = (struct mint_range){ 0xfffffffff0000000ull, 0x10000000 };
	c.status_phys = 0xfffffffff0000000ull;
	bad_create("a range ending at 2^64 exactly", &c, -EINVAL);
	good_node(&c, "alpha");
	c.ranges[0] = (struct mint_range){ 0xfffffffffff00000ull, 0x200000 };
	bad_create("a low slice wrapping past 2^64 to below 1 MiB", &c, -EINVAL);
	good_node(&c, "alpha");
	c.status_phys = WRAP_PAGE;
	bad_create("status page in the last page below 2^64 (its shared area wraps to 0)", &c,
		   -EINVAL);
	good_node(&c, "alpha");
	c.status_phys = NODE_START + NODE_SIZE - 0x1000;
	bad_create("status page whose shared area crosses the range's end", &c, -EINVAL);
	good_node(&c, "alpha");
	c.apic_ids[0] = 0;
	bad_create("on the online boot core (APIC 0)", &c, -EBUSY);
	good_node(&c, "alpha");
	c.apic_ids[0] = 7;
	bad_create("on an unknown APIC ID 7", &c, -ENODEV);
	good_node(&c, "alpha");
	c.apic_ids[0] = 256;
	bad_create("boot core APIC ID 256 (the xAPIC trampoline table has 256 entries)", &c,
		   -EINVAL);
	good_node(&c, "alpha");
	c.n_cpus = 2;
	c.apic_ids[1] = 300;
	bad_create("a second core with APIC ID 300", &c, -ENODEV);
	good_node(&c, "alpha");
	c.n_cpus = 2;
	c.apic_ids[1] = 1;
	bad_create("listing APIC ID 1 twice", &c, -EINVAL);
	good_node(&c, "alpha");
	c.n_cpus = 0;
	bad_create("no cores", &c, -EINVAL);
	good_node(&c, "alpha");
	c.n_cpus = MINT_MAX_CPUS + 1;
	bad_create("17 cores", &c, -EINVAL);
	good_node(&c, "alpha");
	c.n_ranges = 0;
	bad_create("no memory ranges", &c, -EINVAL);
	good_node(&c, "alpha");
	c.n_ranges = MINT_MAX_RANGES + 1;
	bad_create("9 memory ranges", &c, -EINVAL);
	good_node(&c, "alpha");
	c.ranges[0] = (struct mint_range){ TRAMP_PHYS, LOW_SIZE };
	bad_create("low slice over the trampoline", &c, -EBUSY);
	good_node(&c, "alpha");
	c.ranges[0] = (struct mint_range){ 0x9f000, 0x1000 };
	bad_create("low slice over the EBDA", &c, -EINVAL);
	good_node(&c, "alpha");
	c.ranges[0] = (struct mint_range){ 0xf0000, 0x10000 };
	bad_create("low slice in the BIOS area", &c, -EINVAL);
	good_node(&c, "alpha");
	c.ranges[0] = (struct mint_range){ 0x80000, 0x100000 };
	bad_create("low slice crossing 1 MiB", &c, -EINVAL);
	good_node(&c, "alpha");
	c.n_ranges = 3;
	c.ranges[2] = (struct mint_range){ 0x90000, 0x1000 };
	bad_create("a second range below 1 MiB", &c, -EINVAL);
	good_node(&c, "alpha");
	c.ranges[1].size = 0x1800;
	bad_create("unaligned size", &c, -EINVAL);
	good_node(&c, "alpha");
	c.ranges[1].size = 0;
	bad_create("an empty range", &c, -EINVAL);
	good_node(&c, "alpha");
	c.n_ranges = 3;
	c.ranges[2] = (struct mint_range){ NODE_START + 0x1000000, 0x1000000 };
	bad_create("ranges overlapping each other", &c, -EINVAL);
	good_node(&c, "alpha");
	c.status_phys = 0x30000000;
	bad_create("status page outside the node", &c, -EINVAL);
	good_node(&c, "alpha");
	c.status_phys = STATUS_PHYS + 0x800;
	bad_create("status page not page aligned", &c, -EINVAL);
	good_node(&c, "alpha");
	c.status_phys = LOW_START;
	bad_create("status page in the low slice", &c, -EINVAL);
	good_node(&c, "");
	bad_create("empty name", &c, -EINVAL);
	good_node(&c, "al pha");
	bad_create("a blank in the name", &c, -EINVAL);
	good_node(&c, "alpha");
	memset(c.name, 'a', sizeof(c.name));
	bad_create("a name without its NUL", &c, -EINVAL);
	good_node(&c, "alpha");
	c.name[sizeof(c.name) - 1] = 'x';
	bad_create("garbage after the name's NUL", &c, -EINVAL);
	good_node(&c, "alpha");
	c.receive_ids[3] = 2;
	bad_create("garbage in an unused receivable APIC ID slot", &c, -EINVAL);
	good_node(&c, "alpha");
	c.n_receive = 1;
	c.receive_ids[0] = c.apic_ids[0];
	bad_create("a receivable core that is its own", &c, -EINVAL);
	good_node(&c, "alpha");
	c.n_receive = 1;
	c.receive_ids[0] = 200;
	bad_create("a receivable core the host does not have", &c, -ENODEV);
	good_node(&c, "alpha");
	c.apic_ids[5] = 3;
	bad_create("garbage in an unused APIC ID slot", &c, -EINVAL);
	good_node(&c, "alpha");
	c.ranges[6].size = 0x1000;
	bad_create("garbage in an unused range slot", &c, -EINVAL);
	/*
	 * q35's MMCONFIG window is e820 reserved but busy: every check passes, the low slice and
	 * the first big range get claimed, the last claim fails and both must be given back.
	 */
	good_node(&c, "alpha");
	c.n_ranges = 3;
	c.ranges[2] = (struct mint_range){ 0xb0000000, 0x100000 };
	bad_create("with a busy MMCONFIG range (rollback after two claims)", &c, -EBUSY);

	/* ---- a good node ---- */
	good_node(&c, "alpha");
	ret = call(MINT_IOC_CREATE, &c, why);
	id = c.id;
	check(ret == 0, "CREATE alpha on APIC 1 -> %d id %u \"%s\"", ret, id, why);
	check(iomem_count("mint:alpha") == 2, "  /proc/iomem shows mint:alpha twice");
	memset(&info, 0, sizeof(info));
	hdr(&info.hdr);
	call(MINT_IOC_INFO, &info, NULL);
	check(info.nodes == 1 && info.trampoline_ok && info.trampoline_phys == TRAMP_PHYS,
	      "INFO: 1 node, trampoline at 0x%llx", (unsigned long long)info.trampoline_phys);
	test_cpu(id);
	test_mem(id);

	good_node(&c2, "beta");
	c2.ranges[0] = (struct mint_range){ 0x40000, 0x10000 };
	c2.ranges[1] = (struct mint_range){ 0x58000000, 0x1000000 };
	c2.status_phys = 0x58000000;
	ret = call(MINT_IOC_CREATE, &c2, why);
	refuse("CREATE", ret, -EBUSY, "beta on alpha's core: \"%s\"", why);
	c2.ranges[1] = (struct mint_range){ NODE_START + NODE_SIZE - 0x1000000, 0x2000000 };
	c2.status_phys = NODE_START + NODE_SIZE;
	ret = call(MINT_IOC_CREATE, &c2, why);
	refuse("CREATE", ret, -EBUSY, "beta over alpha's memory: \"%s\"", why);
	good_node(&c2, "beta");
	c2.ranges[0] = (struct mint_range){ LOW_START + 0x8000, 0x10000 };
	c2.ranges[1] = (struct mint_range){ 0x58000000, 0x1000000 };
	c2.status_phys = 0x58000000;
	ret = call(MINT_IOC_CREATE, &c2, why);
	refuse("CREATE", ret, -EBUSY, "beta over alpha's low slice: \"%s\"", why);
	good_node(&c2, "alpha");
	ret = call(MINT_IOC_CREATE, &c2, why);
	refuse("CREATE", ret, -EEXIST, "a second alpha: \"%s\"", why);
	check(iomem_count("mint:") == 2, "  still only alpha's two claims");

	t.phys = 0x60000;
	ret = call(MINT_IOC_TRAMPOLINE, &t, why);
	refuse("TRAMPOLINE", ret, -EBUSY, "moved while a node exists: \"%s\"", why);
	t.phys = LOW_START;
	ret = call(MINT_IOC_TRAMPOLINE, &t, why);
	refuse("TRAMPOLINE", ret, -EBUSY, "moved while a node exists: \"%s\"", why);
	t.phys = TRAMP_PHYS;

	ret = write_file("/sys/devices/system/cpu/cpu1/online", "1");
	refuse("hotplug", ret ? -EBUSY : 0, -EBUSY, "echo 1 > cpu1/online while alpha owns it (%s)",
	       strerror(-ret));
	check(system("grep -q 0 /sys/devices/system/cpu/cpu1/online") == 0, "  cpu1 still offline");

	ret = system("rmmod mint 2>/dev/null");
	refuse("rmmod", ret ? -EBUSY : 0, -EBUSY, "rmmod while a node exists");

	/* ---- STORE and mmap ---- */
	ret = store(0, 0, NULL, why);
	refuse("STORE", ret, -ENOENT, "asking with no store claimed: \"%s\"", why);
	refuse("mmap", map_store(0, 4096, MAP_SHARED, NULL), -ENXIO, "with no store claimed");
	ret = store(STORE_START + 0x800, STORE_SIZE, NULL, why);
	refuse("STORE", ret, -EINVAL, "unaligned: \"%s\"", why);
	ret = store(STORE_START, 0x1800, NULL, why);
	refuse("STORE", ret, -EINVAL, "unaligned size: \"%s\"", why);
	ret = store(STORE_START, 0, NULL, why);
	refuse("STORE", ret, -EINVAL, "empty with a start: \"%s\"", why);
	ret = store(WRAP_PAGE, 0x2000, NULL, why);
	refuse("STORE", ret, -EINVAL, "wrapping past 2^64: \"%s\"", why);
	ret = store(0x10000000, STORE_SIZE, NULL, why);
	refuse("STORE", ret, -EINVAL, "in System RAM: \"%s\"", why);
	ret = store(0x100000000ull, STORE_SIZE, NULL, why);
	refuse("STORE", ret, -EINVAL, "in no reserved range: \"%s\"", why);
	ret = store(NODE_START + NODE_SIZE - 0x100000, STORE_SIZE, NULL, why);
	refuse("STORE", ret, -EBUSY, "over alpha's memory: \"%s\"", why);
	ret = store(0xb0000000, 0x100000, NULL, why);
	refuse("STORE", ret, -EBUSY, "over the busy MMCONFIG window: \"%s\"", why);
	ret = store(STORE_START, STORE_SIZE, NULL, why);
	check(ret == 0, "STORE 0x%llx + 64 MiB -> %d \"%s\"", STORE_START, ret, why);
	check(store(STORE_START, STORE_SIZE, NULL, NULL) == 0, "  the same range again -> 0");
	ret = store(STORE_START - STORE_SIZE, STORE_SIZE, NULL, why);
	refuse("STORE", ret, -EBUSY, "another range while one is claimed: \"%s\"", why);
	ret = store(0, 0, &so, why);
	check(ret == 0 && so.start == STORE_START && so.size == STORE_SIZE,
	      "  asking returns 0x%llx + 0x%llx", (unsigned long long)so.start,
	      (unsigned long long)so.size);
	ret = map_store(0, STORE_SIZE, MAP_SHARED, (void **)&map);
	check(ret == 0, "mmap of the whole store -> %d", ret);
	if (!ret) {
		map[0] = 0x5a;
		map[STORE_SIZE - 1] = 0xa5;
		munmap(map, STORE_SIZE);
		map = NULL;
		ret = map_store(STORE_SIZE - 4096, 4096, MAP_SHARED, (void **)&map);
		check(ret == 0 && map[4095] == 0xa5, "  a second mapping of its last page sees the byte written");
		if (!ret)
			munmap(map, 4096);
	}
	refuse("mmap", map_store(STORE_SIZE / 2, STORE_SIZE, MAP_SHARED, NULL), -EINVAL,
	       "running past the store's end");
	refuse("mmap", map_store(STORE_SIZE, 4096, MAP_SHARED, NULL), -EINVAL,
	       "starting at the store's end");
	refuse("mmap", map_store(0, 4096, MAP_PRIVATE, NULL), -EINVAL,
	       "MAP_PRIVATE (a private copy would not be the store)");

	/* ---- LOAD ---- */
	memset(&l, 0, sizeof(l));
	hdr(&l.hdr);
	l.id = id;
	l.data = (uintptr_t)fake_start;
	l.size = fake_end - fake_start;
	l.phys = 0x60000000;
	ret = call(MINT_IOC_LOAD, &l, why);
	refuse("LOAD", ret, -EINVAL, "outside the node: \"%s\"", why);
	l.phys = NODE_START + NODE_SIZE - 4;
	ret = call(MINT_IOC_LOAD, &l, why);
	refuse("LOAD", ret, -EINVAL, "across the end of a range: \"%s\"", why);
	l.phys = WRAP_PAGE;
	l.size = 0x2000;
	ret = call(MINT_IOC_LOAD, &l, why);
	refuse("LOAD", ret, -EINVAL, "wrapping past 2^64: \"%s\"", why);
	l.phys = FAKE_ENTRY;
	l.size = 0;
	ret = call(MINT_IOC_LOAD, &l, why);
	refuse("LOAD", ret, -EINVAL, "of 0 bytes: \"%s\"", why);
	l.size = fake_end - fake_start;
	l.flags = 0x2;
	ret = call(MINT_IOC_LOAD, &l, why);
	refuse("LOAD", ret, -EINVAL, "with an unknown flag: \"%s\"", why);
	l.flags = 0;
	l.data = 16;
	ret = call(MINT_IOC_LOAD, &l, why);
	refuse("LOAD", ret, -EFAULT, "from a bad user pointer: \"%s\"", why);
	l.id = 40;
	ret = call(MINT_IOC_LOAD, &l, why);
	refuse("LOAD", ret, -ENOENT, "to a free id: \"%s\"", why);
	l.id = MINT_MAX_NODES;
	ret = call(MINT_IOC_LOAD, &l, why);
	refuse("LOAD", ret, -EINVAL, "to id %d: \"%s\"", MINT_MAX_NODES, why);
	l.id = id;
	l.data = (uintptr_t)fake_start;
	ret = call(MINT_IOC_LOAD, &l, why);
	check(ret == 0, "LOAD %llu bytes of fake kernel at 0x%llx -> %d", (unsigned long long)l.size,
	      FAKE_ENTRY, ret);
	/* alpha leaves the machine's legacy state changed, and writes its whole low slice. */
	memset(&fp, 0, sizeof(fp));
	fp.warm_reset = 0x9f000123;
	ret = load(id, BOOT_PARAMS, &fp, sizeof(fp), 0, why);
	check(ret == 0, "LOAD alpha's fake_params (warm-reset vector 0x%x) -> %d", fp.warm_reset, ret);
	memset(pattern, 0xa5, sizeof(pattern));
	for (i = 0, ret = 0; i < (int)(LOW_SIZE / sizeof(pattern)) && !ret; i++)
		ret = load(id, LOW_START + i * sizeof(pattern), pattern, sizeof(pattern), 0, why);
	check(ret == 0, "LOAD a pattern into alpha's whole low slice -> %d", ret);

	/* ---- STATUS listing ---- */
	for (i = 0; i < MINT_MAX_NODES; i++) {
		ret = status(i, &st);
		if (i == (int)id)
			check(ret == 0 && st.state == MINT_STATE_OWNED && !strcmp(st.name, "alpha"),
			      "STATUS %d: alpha, OWNED", i);
		else if (ret != -ENOENT)
			check(0, "STATUS %d of a free slot -> %d", i, ret);
	}
	refuse("STATUS", status(MINT_MAX_NODES, &st), -EINVAL, "id %d", MINT_MAX_NODES);
	refuse("STATUS", status(5, &st), -ENOENT, "a free id");

	/* ---- READ and RESUME before START ---- */
	ret = read_node(id, FAKE_ENTRY, back, 64, 0, why);
	refuse("READ", ret, -EBUSY, "of a node not yet started (OWNED): \"%s\"", why);
	ret = resume(id, why);
	refuse("RESUME", ret, -ENOENT, "of an OWNED node with no kernel wakeup code: \"%s\"", why);
	ret = resume(40, why);
	refuse("RESUME", ret, -ENOENT, "of a free id: \"%s\"", why);
	ret = resume(MINT_MAX_NODES, why);
	refuse("RESUME", ret, -EINVAL, "of id %d: \"%s\"", MINT_MAX_NODES, why);

	/* ---- START ---- */
	memset(&s, 0, sizeof(s));
	hdr(&s.hdr);
	s.id = id;
	s.boot_params = BOOT_PARAMS;
	s.entry = 0x70000000;
	ret = call(MINT_IOC_START, &s, why);
	refuse("START", ret, -EINVAL, "with entry outside the node: \"%s\"", why);
	s.entry = FAKE_ENTRY;
	s.boot_params = WRAP_PAGE;
	ret = call(MINT_IOC_START, &s, why);
	refuse("START", ret, -EINVAL, "with boot_params in the last page below 2^64: \"%s\"", why);
	s.boot_params = LOW_START + LOW_SIZE - 0x800;
	ret = call(MINT_IOC_START, &s, why);
	refuse("START", ret, -EINVAL, "with boot_params across the low slice's end: \"%s\"", why);
	s.boot_params = BOOT_PARAMS;
	s.flags = 0x2;
	ret = call(MINT_IOC_START, &s, why);
	refuse("START", ret, -EINVAL, "with an unknown flag: \"%s\"", why);
	s.flags = MINT_ENTRY_LONG_MODE;
	s.pml4 = NODE_START + 0x2000;
	s.pml5 = 0x70000000;
	ret = call(MINT_IOC_START, &s, why);
	refuse("START", ret, -EINVAL, "long mode, PML5 outside the node: \"%s\"", why);
	s.pml5 = NODE_START + 0x1800;
	ret = call(MINT_IOC_START, &s, why);
	refuse("START", ret, -EINVAL, "long mode, PML5 not page aligned: \"%s\"", why);
	s.pml5 = WRAP_PAGE;
	ret = call(MINT_IOC_START, &s, why);
	refuse("START", ret, -EINVAL, "long mode, PML5 in the last page below 2^64: \"%s\"", why);
	s.flags = 0;
	s.pml5 = NODE_START + 0x3000;
	ret = call(MINT_IOC_START, &s, why);
	refuse("START", ret, -EINVAL, "32-bit with page-table roots: \"%s\"", why);
	s.pml4 = 0;
	s.pml5 = 0;
	s.id = 40;
	ret = call(MINT_IOC_START, &s, why);
	refuse("START", ret, -ENOENT, "of a free id: \"%s\"", why);
	s.id = id;

	/* The host's legacy state as alpha will find it (alpha changes it as a stock kernel would). */
	check(ioperm(0x4d0, 2, 1) == 0 && ioperm(0x70, 2, 1) == 0, "ioperm for the ELCR and CMOS");
	cmos_before = cmos_shutdown();
	vector_before = warm_reset_vector();
	ret = call(MINT_IOC_START, &s, why);
	check(ret == 0, "START alpha -> %d \"%s\" (INIT..SIPI2: %llu TSC ticks)", ret, why,
	      (unsigned long long)(s.tsc_after_sipi - s.tsc_before_init));
	ret = call(MINT_IOC_START, &s, why);
	refuse("START", ret, -EBUSY, "again: \"%s\"", why);
	ret = call(MINT_IOC_LOAD, &l, why);
	refuse("LOAD", ret, -EBUSY, "after START: \"%s\"", why);

	/* Pretend to be the node's stock kernel rewriting the ELCR. */
	elcr_before[0] = inb(0x4d0);
	elcr_before[1] = inb(0x4d1);
	outb(elcr_before[0] ^ 0x20, 0x4d0);

	ret = wait_state(id, MINT_STATE_READY, &st);
	check(ret >= 0, "alpha READY after ~%d ms", ret);
	check(st.page.trampoline_apic == 1, "  trampoline stamped APIC ID %u", st.page.trampoline_apic);
	check(st.page.tsc_trampoline > st.tsc_before_init,
	      "  trampoline ran %llu TSC ticks after INIT (%.2f ms)",
	      (unsigned long long)(st.page.tsc_trampoline - st.tsc_before_init),
	      (st.page.tsc_trampoline - st.tsc_before_init) / (double)info.tsc_khz);
	check(*(uint32_t *)st.page.message == BOOT_PARAMS, "  fake kernel got ESI = 0x%x",
	      *(uint32_t *)st.page.message);
	check(inb(0x4d0) == elcr_before[0] && inb(0x4d1) == elcr_before[1],
	      "  ELCR restored to 0x%02x%02x once READY was seen", elcr_before[1], elcr_before[0]);
	i = cmos_shutdown();
	check(i == (int)cmos_before, "  CMOS shutdown byte restored to 0x%02x once READY was seen (0x%02x)",
	      cmos_before, i);
	check(warm_reset_vector() == vector_before,
	      "  warm-reset vector at 0x467 restored to 0x%08x once READY was seen (0x%08x)",
	      vector_before, warm_reset_vector());
	hb1 = st.page.heartbeat;
	sleep_ms(100);
	status(id, &st);
	hb2 = st.page.heartbeat;
	check(hb2 > hb1, "  heartbeat runs: %llu -> %llu", (unsigned long long)hb1,
	      (unsigned long long)hb2);

	/* ---- SHARED on a running node ---- */
	memset(back, 0, sizeof(back));
	ret = shared(id, 0, 0, back, sizeof(struct mint_status_page), why);
	check(ret == 0 && ((struct mint_status_page *)back)->magic == MINT_STATUS_MAGIC,
	      "SHARED read of alpha's status page -> %d, magic 0x%x", ret,
	      ((struct mint_status_page *)back)->magic);
	memset(pattern, 0x3c, sizeof(pattern));
	ret = shared(id, 1, MINT_SHARED_HOST_PAGE, pattern, 4096, why);
	ret = ret ? ret : shared(id, 0, MINT_SHARED_HOST_PAGE, back, 4096, why);
	check(ret == 0 && !memcmp(back, pattern, 4096), "SHARED write then read of the host page -> %d",
	      ret);
	ret = shared(40, 0, 0, back, 64, why);
	refuse("SHARED", ret, -ENOENT, "of a free id: \"%s\"", why);
	ret = shared(MINT_MAX_NODES, 0, 0, back, 64, why);
	refuse("SHARED", ret, -ENOENT, "of id %d: \"%s\"", MINT_MAX_NODES, why);
	ret = shared(id, 2, MINT_SHARED_HOST_PAGE, back, 64, why);
	refuse("SHARED", ret, -EINVAL, "with write = 2: \"%s\"", why);
	ret = shared(id, 0, 0, back, 0, why);
	refuse("SHARED", ret, -EINVAL, "of 0 bytes: \"%s\"", why);
	ret = shared(id, 0, 0, back, MINT_SHARED_IO_MAX + 1, why);
	refuse("SHARED", ret, -EINVAL, "of more than MINT_SHARED_IO_MAX: \"%s\"", why);
	ret = shared(id, 0, MINT_SHARED_END - 1, back, 2, why);
	refuse("SHARED", ret, -EINVAL, "read past the area's end: \"%s\"", why);
	ret = shared(id, 0, MINT_SHARED_END, back, 1, why);
	refuse("SHARED", ret, -EINVAL, "read at the area's end: \"%s\"", why);
	ret = shared(id, 0, 0xffffffffffffff00ull, back, 0x200, why);
	refuse("SHARED", ret, -EINVAL, "read at an offset wrapping past 2^64: \"%s\"", why);
	ret = shared(id, 1, 0, pattern, 64, why);
	refuse("SHARED", ret, -EINVAL, "write to the status page: \"%s\"", why);
	ret = shared(id, 1, MINT_SHARED_NODE_PAGE, pattern, 64, why);
	refuse("SHARED", ret, -EINVAL, "write to the node page: \"%s\"", why);
	ret = shared(id, 1, MINT_SHARED_HOST_PAGE - 1, pattern, 2, why);
	refuse("SHARED", ret, -EINVAL, "write straddling into the host page: \"%s\"", why);
	ret = shared(id, 1, MINT_SHARED_CONSOLE_IN + MINT_CONSOLE_IN_SIZE - 1, pattern, 2, why);
	refuse("SHARED", ret, -EINVAL, "write past the console input ring: \"%s\"", why);
	ret = shared(id, 1, MINT_SHARED_CONSOLE_OUT, pattern, 64, why);
	refuse("SHARED", ret, -EINVAL, "write to the console output ring: \"%s\"", why);
	ret = shared(id, 1, MINT_SHARED_HOST_PAGE, (void *)16, 64, why);
	refuse("SHARED", ret, -EFAULT, "write from a bad user pointer: \"%s\"", why);
	ret = shared(id, 0, 0, (void *)16, 64, why);
	refuse("SHARED", ret, -EFAULT, "read into a bad user pointer: \"%s\"", why);

	/* ---- READ and RESUME of a running node ---- */
	ret = read_node(id, FAKE_ENTRY, back, 64, 0, why);
	refuse("READ", ret, -EBUSY, "of a running node: \"%s\"", why);
	ret = resume(id, why);
	refuse("RESUME", ret, -EINVAL, "of a running node: \"%s\"", why);

	/* ---- the host may not suspend under a running node ---- */
	test_host_suspend("alpha");

	/*
	 * ---- DESTROY whose INIT is refused: the core may still run, so nothing is given back
	 * and the node stays, dirty, until a DESTROY that parks it. ----
	 */
	fault_inject(FAULT_INIT);
	ret = destroy(id, why);
	check(ret == -EIO, "DESTROY alpha with INIT refused -> %d \"%s\"", ret, why);
	fault_inject(0);
	ret = status(id, &st);
	check(ret == 0 && st.state == MINT_STATE_DIRTY, "  STATUS: alpha is dirty (state %u)",
	      st.state);
	hb1 = st.page.heartbeat;
	sleep_ms(100);
	status(id, &st);
	check(st.page.heartbeat > hb1, "  its core still runs (heartbeat %llu -> %llu)",
	      (unsigned long long)hb1, (unsigned long long)st.page.heartbeat);
	check(iomem_count("mint:alpha") == 2, "  its claims stay in /proc/iomem");
	good_node(&c2, "alpha2");
	ret = call(MINT_IOC_CREATE, &c2, why);
	refuse("CREATE", ret, -EBUSY, "over a dirty node's memory: \"%s\"", why);
	ret = shared(id, 1, MINT_SHARED_HOST_PAGE, pattern, 64, why);
	refuse("SHARED", ret, -EBUSY, "write to a dirty node: \"%s\"", why);
	ret = start(id, why);
	refuse("START", ret, -EBUSY, "of a dirty node: \"%s\"", why);
	ret = resume(id, why);
	refuse("RESUME", ret, -EINVAL, "of a dirty node: \"%s\"", why);
	ret = read_node(id, FAKE_ENTRY, back, 64, 0, why);
	refuse("READ", ret, -EBUSY, "of a dirty node: \"%s\"", why);
	ret = load(id, FAKE_ENTRY, pattern, 64, 0, why);
	refuse("LOAD", ret, -EBUSY, "into a dirty node: \"%s\"", why);
	ret = destroy(id, why);
	check(ret == 0, "DESTROY alpha again, INIT accepted -> %d \"%s\"", ret, why);
	check(iomem_count("mint:") == 0, "  claims released");
	refuse("STATUS", status(id, &st), -ENOENT, "of the destroyed id");
	check(phys_is_zero(FAKE_ENTRY, fake_end - fake_start) == 1,
	      "  alpha's memory (its kernel at 0x%llx) reads back zero through /dev/mem", FAKE_ENTRY);
	check(phys_is_zero(STATUS_PHYS, 4096) == 1, "  and so does its status page");
	ret = destroy(id, why);
	refuse("DESTROY", ret, -ENOENT, "of the destroyed id: \"%s\"", why);
	ret = destroy(MINT_MAX_NODES, why);
	refuse("DESTROY", ret, -EINVAL, "of id %d: \"%s\"", MINT_MAX_NODES, why);
	{
		struct mint_destroy d;

		memset(&d, 0, sizeof(d));
		hdr(&d.hdr);
		d.id = 0;
		d.pad0 = 1;
		ret = call(MINT_IOC_DESTROY, &d, why);
		refuse("DESTROY", ret, -EINVAL, "with non-zero pad: \"%s\"", why);
	}

	good_node(&c2, "beta");
	c2.ranges[1] = (struct mint_range){ STORE_START, 0x1000000 };
	c2.status_phys = STORE_START;
	bad_create("over the store (its claim is busy)", &c2, -EBUSY);

	/* The next tenant of the memory: gamma, on the same core, memory and low slice. */
	good_node(&c, "gamma");
	ret = call(MINT_IOC_CREATE, &c, why);
	check(ret == 0, "CREATE gamma on the same core and memory -> %d \"%s\"", ret, why);
	status(c.id, &st);
	hb1 = st.page.heartbeat;
	sleep_ms(100);
	status(c.id, &st);
	check(st.page.heartbeat == hb1, "  alpha's core is parked: heartbeat stays %llu",
	      (unsigned long long)hb1);

	/*
	 * gamma's memory is known zero (alpha's scrub), so a zero pass there may skip it, but not
	 * once a LOAD has written the range: the status page (STATUS shows it) must go back to 0.
	 */
	memset(pattern, 0xa5, sizeof(pattern));
	ret = load(c.id, STATUS_PHYS, pattern, sizeof(pattern), 0, why);
	ret = ret ? ret : status(c.id, &st);
	check(ret == 0 && st.page.heartbeat == 0xa5a5a5a5a5a5a5a5ull,
	      "  LOAD of a pattern into gamma's status page shows in STATUS (heartbeat %llx)",
	      (unsigned long long)st.page.heartbeat);
	ret = load(c.id, NODE_START, NULL, NODE_SIZE, MINT_LOAD_ZERO, why);
	ret = ret ? ret : status(c.id, &st);
	check(ret == 0 && st.page.heartbeat == 0,
	      "  a zero pass over gamma's memory after it clears it (heartbeat %llx)",
	      (unsigned long long)st.page.heartbeat);

	/*
	 * gamma's fake kernel counts the non-zero dwords of its low slice, which nothing has
	 * written since alpha's DESTROY: alpha filled it with a pattern. (/dev/mem cannot tell:
	 * it reads System RAM below 1 MiB as zeros.) Without anyone looking at STATUS, the ELCR
	 * comes back ~10 s after START anyway.
	 */
	check(load(c.id, FAKE_ENTRY, fake_start, fake_end - fake_start, 0, NULL) == 0,
	      "LOAD the fake kernel into gamma");
	memset(&fp, 0, sizeof(fp));
	fp.scan = LOW_START;
	fp.scan_size = LOW_SIZE;
	check(load(c.id, BOOT_PARAMS, &fp, sizeof(fp), 0, NULL) == 0,
	      "LOAD gamma's fake_params: scan its low slice");
	check(start(c.id, why) == 0, "START gamma");
	outb(elcr_before[0] ^ 0x20, 0x4d0);
	sleep_ms(5000);
	check(inb(0x4d0) == (elcr_before[0] ^ 0x20), "  ELCR still as the node left it after 5 s");
	sleep_ms(6000);
	check(inb(0x4d0) == elcr_before[0] && inb(0x4d1) == elcr_before[1],
	      "  ELCR restored by the fallback 10 s after START, without STATUS");
	status(c.id, &st);
	check(st.page.magic == MINT_STATUS_MAGIC && ((uint32_t *)st.page.message)[1] == 0,
	      "  gamma found alpha's low slice zeroed (%u non-zero dwords of %llu)",
	      ((uint32_t *)st.page.message)[1], LOW_SIZE / 4);
	check(destroy(c.id, why) == 0, "DESTROY gamma");

	/*
	 * ---- The trampoline's first home, 0x60000, was zeroed by early's DESTROY and then held
	 * the trampoline: a node whose low slice is there must get its zero pass. ----
	 */
	good_node(&c, "lowtr");
	c.ranges[0] = (struct mint_range){ TRAMP_FIRST, LOW_SIZE };
	ret = call(MINT_IOC_CREATE, &c, why);
	id2 = c.id;
	check(ret == 0, "CREATE lowtr with its low slice where the trampoline was -> %d \"%s\"", ret,
	      why);
	ret = load(id2, TRAMP_FIRST, NULL, LOW_SIZE, MINT_LOAD_ZERO, why);
	check(ret == 0, "  zero pass over its low slice -> %d", ret);
	check(load(id2, FAKE_ENTRY, fake_start, fake_end - fake_start, 0, NULL) == 0,
	      "  LOAD the fake kernel");
	memset(&fp, 0, sizeof(fp));
	fp.scan = TRAMP_FIRST;
	fp.scan_size = LOW_SIZE;
	fp.sleep = MINT_SLEEP_ENABLE | MINT_SLEEP_S3 << 2;
	check(load(id2, BOOT_PARAMS, &fp, sizeof(fp), 0, NULL) == 0,
	      "  LOAD its fake_params: scan the low slice, then ask for S3");
	check(start(id2, why) == 0, "START lowtr");
	ret = wait_state(id2, MINT_STATE_SUSPENDED, &st);
	check(ret >= 0, "  lowtr asked for S3 and is SUSPENDED after ~%d ms", ret);
	check(st.page.magic == MINT_STATUS_MAGIC && ((uint32_t *)st.page.message)[1] == 0,
	      "  its low slice held no trampoline code (%u non-zero dwords)",
	      ((uint32_t *)st.page.message)[1]);

	/* ---- READ and RESUME of a suspended node ---- */
	memset(back, 0, sizeof(back));
	ret = read_node(id2, FAKE_ENTRY, back, fake_end - fake_start, 0, why);
	check(ret == 0 && !memcmp(back, fake_start, fake_end - fake_start),
	      "READ lowtr's kernel back -> %d", ret);
	ret = read_node(id2, 0x60000000, back, 64, 0, why);
	refuse("READ", ret, -EINVAL, "outside the node: \"%s\"", why);
	ret = read_node(id2, NODE_START + NODE_SIZE - 32, back, 64, 0, why);
	refuse("READ", ret, -EINVAL, "across the end of a range: \"%s\"", why);
	ret = read_node(id2, WRAP_PAGE, back, 0x2000, 0, why);
	refuse("READ", ret, -EINVAL, "wrapping past 2^64: \"%s\"", why);
	ret = read_node(id2, FAKE_ENTRY, back, 0, 0, why);
	refuse("READ", ret, -EINVAL, "of 0 bytes: \"%s\"", why);
	ret = read_node(id2, FAKE_ENTRY, back, 64, MINT_LOAD_ZERO, why);
	refuse("READ", ret, -EINVAL, "with a flag: \"%s\"", why);
	ret = read_node(id2, FAKE_ENTRY, (void *)16, 64, 0, why);
	refuse("READ", ret, -EFAULT, "into a bad user pointer: \"%s\"", why);
	ret = read_node(40, FAKE_ENTRY, back, 64, 0, why);
	refuse("READ", ret, -ENOENT, "of a free id: \"%s\"", why);
	ret = read_node(MINT_MAX_NODES, FAKE_ENTRY, back, 64, 0, why);
	refuse("READ", ret, -EINVAL, "of id %d: \"%s\"", MINT_MAX_NODES, why);
	ret = resume(id2, why);
	refuse("RESUME", ret, -ENOENT, "of a suspended node with no kernel wakeup code: \"%s\"", why);

	/* ---- DESTROY whose zeroing cannot map the memory: it stays owned until it is zeroed ---- */
	fault_inject(FAULT_SCRUB_MAP);
	ret = destroy(id2, why);
	check(ret == -ENOMEM, "DESTROY lowtr with the scrub's mapping failing -> %d \"%s\"", ret, why);
	fault_inject(0);
	ret = status(id2, &st);
	check(ret == 0 && st.state == MINT_STATE_DIRTY, "  STATUS: lowtr is dirty (state %u)",
	      st.state);
	check(iomem_count("mint:lowtr") == 2, "  its claims stay in /proc/iomem");
	good_node(&c2, "lowtr2");
	c2.ranges[0] = (struct mint_range){ 0x40000, LOW_SIZE };
	ret = call(MINT_IOC_CREATE, &c2, why);
	refuse("CREATE", ret, -EBUSY, "over memory a failed DESTROY did not zero: \"%s\"", why);
	ret = destroy(id2, why);
	check(ret == 0, "DESTROY lowtr again -> %d \"%s\"", ret, why);
	check(iomem_count("mint:") == 0, "  claims released");
	check(phys_is_zero(FAKE_ENTRY, fake_end - fake_start) == 1,
	      "  its memory reads back zero through /dev/mem");

	/* ---- long operations: the lock is dropped between chunks, SIGKILL ends them ---- */
	good_node(&c, "slow");
	ret = call(MINT_IOC_CREATE, &c, why);
	check(ret == 0, "CREATE slow (256 MiB) -> %d \"%s\"", ret, why);
	interrupt_long_op("LOAD of 256 MiB", c.id, op_load, MINT_STATE_OWNED);
	interrupt_long_op("DESTROY's zeroing", c.id, op_destroy, MINT_STATE_DIRTY);
	ret = destroy(c.id, why);
	check(ret == 0, "DESTROY slow again -> %d \"%s\"", ret, why);
	check(iomem_count("mint:") == 0, "  claims released");

	/* ---- the host gets its core back ---- */
	ret = write_file("/sys/devices/system/cpu/cpu1/online", "1");
	check(ret == 0, "echo 1 > cpu1/online after DESTROY -> %d", ret);
	check(system("grep -q 1 /sys/devices/system/cpu/cpu1/online") == 0, "  cpu1 is online in the host");
	good_node(&c, "delta");
	ret = call(MINT_IOC_CREATE, &c, why);
	refuse("CREATE", ret, -EBUSY, "on the now-online cpu1: \"%s\"", why);
	check(write_file("/sys/devices/system/cpu/cpu1/online", "0") == 0, "cpu1 offline again");

	/*
	 * ---- lockdown, last: it cannot be lowered again. /dev/mint can put any code in ring 0
	 * on a core, as kexec_load can, so it is refused as kexec_load is. ----
	 */
	ret = write_file("/sys/kernel/security/lockdown", "integrity");
	check(ret == 0, "echo integrity > /sys/kernel/security/lockdown -> %d", ret);
	memset(&info, 0, sizeof(info));
	hdr(&info.hdr);
	refuse("lockdown", call(MINT_IOC_INFO, &info, NULL), -EPERM, "INFO under lockdown");
	refuse("lockdown", status(0, &st), -EPERM, "STATUS under lockdown");
	good_node(&c, "locked");
	refuse("lockdown", call(MINT_IOC_CREATE, &c, NULL), -EPERM, "CREATE under lockdown");
	refuse("lockdown", map_store(0, 4096, MAP_SHARED, NULL), -EPERM, "mmap of the store under lockdown");

	close(fd);
	ret = system("rmmod mint");
	check(ret == 0, "rmmod with only the trampoline and the store claimed");
	check(iomem_count("mint") == 0, "  trampoline and store claims gone after rmmod");

	summary();
	printf("%s: %d failure(s)\n", failures ? "SMOKE FAILED" : "SMOKE PASSED", failures);
	return failures ? 1 : 0;
}
