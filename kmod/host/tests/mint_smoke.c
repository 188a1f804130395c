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
 * Usage: mint_smoke TRAMPOLINE.bin. Prints one PASS/FAIL line per check, exits non-zero on
 * any failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
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
#define LOW_START 0x20000ull
#define LOW_SIZE 0x10000ull
#define NODE_START 0x40000000ull /* memmap=512M$0x40000000 */
#define NODE_SIZE 0x10000000ull
#define STATUS_PHYS 0x4ffff000ull
#define FAKE_ENTRY 0x41000000ull
#define BOOT_PARAMS 0x40ff0000ull

#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * The fake kernel: entered in 32-bit flat protected mode by the trampoline with ESI =
 * boot_params. It stores ESI into message[0..3], writes READY and counts a heartbeat.
 */
extern const unsigned char fake_start[], fake_end[];
__asm__(".pushsection .rodata\n"
	".globl fake_start\n"
	"fake_start:\n"
	".code32\n"
	"movl $" STR(STATUS_PHYS) ", %edi\n"
	"movl %esi, 40(%edi)\n"
	"movl $2, 4(%edi)\n"
	"movl $0x5441544e, (%edi)\n"
	"1: addl $1, 24(%edi)\n"
	"adcl $0, 28(%edi)\n"
	"pause\n"
	"jmp 1b\n"
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

/* 1 if `size` bytes of physical memory at `phys` read as zero through /dev/mem, 0 if not,
 * -1 if they cannot be read (claimed memory is refused). */
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

/* A CREATE that must fail with `want` and leave nothing behind. */
static void bad_create(const char *what, struct mint_create *c, int want)
{
	char why[MINT_ERROR_LEN];
	int ret = call(MINT_IOC_CREATE, c, why);

	check(ret == want, "CREATE %s -> %d (want %d): \"%s\"", what, ret, want, why);
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

static int status(uint32_t id, struct mint_node_status *s)
{
	memset(s, 0, sizeof(*s));
	hdr(&s->hdr);
	s->id = id;
	return call(MINT_IOC_STATUS, s, NULL);
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
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "INFO without CAP_SYS_BOOT -> EPERM");
}

int main(int argc, char **argv)
{
	static unsigned char tramp[MINT_TRAMPOLINE_CODE_SIZE + 1];
	struct mint_info info;
	struct mint_trampoline t;
	struct mint_create c, c2;
	struct mint_load l;
	struct mint_start s;
	struct mint_node_status st;
	struct mint_destroy d;
	char why[MINT_ERROR_LEN];
	uint32_t id;
	size_t tramp_size;
	unsigned char elcr_before[2] = { 0, 0 };
	uint64_t hb1, hb2;
	static uint8_t pattern[4096];
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
	check(call(MINT_IOC_INFO, &info, why) == -EPROTO, "INFO with bad magic -> EPROTO: \"%s\"",
	      why);
	hdr(&info.hdr);
	info.hdr.revision = MINT_ABI_REVISION + 1;
	check(call(MINT_IOC_INFO, &info, NULL) == -EPROTO, "INFO with bad revision -> EPROTO");
	hdr(&info.hdr);
	info.pad0 = 1;
	check(call(MINT_IOC_INFO, &info, NULL) == -EINVAL, "INFO with non-zero pad -> EINVAL");
	test_eperm();

	/* ---- START needs a trampoline ---- */
	good_node(&c, "early");
	ret = call(MINT_IOC_CREATE, &c, why);
	check(ret == 0, "CREATE early (no trampoline yet) -> %d \"%s\"", ret, why);
	memset(&s, 0, sizeof(s));
	hdr(&s.hdr);
	s.id = c.id;
	s.boot_params = BOOT_PARAMS;
	s.entry = FAKE_ENTRY;
	ret = call(MINT_IOC_START, &s, why);
	check(ret == -ENXIO, "START without a trampoline -> %d \"%s\"", ret, why);
	memset(&d, 0, sizeof(d));
	hdr(&d.hdr);
	d.id = c.id;
	check(call(MINT_IOC_DESTROY, &d, NULL) == 0, "DESTROY early");
	check(iomem_count("mint") == 0, "  nothing claimed after it");

	/* ---- TRAMPOLINE ---- */
	memset(&t, 0, sizeof(t));
	hdr(&t.hdr);
	t.code = (uintptr_t)tramp;
	t.code_size = tramp_size;
	t.phys = TRAMP_PHYS + 0x800;
	check(call(MINT_IOC_TRAMPOLINE, &t, why) == -EINVAL, "TRAMPOLINE unaligned -> EINVAL: \"%s\"", why);
	t.phys = 0xff000;
	check(call(MINT_IOC_TRAMPOLINE, &t, why) == -EINVAL, "TRAMPOLINE crossing 1 MiB -> EINVAL: \"%s\"", why);
	t.phys = 0x9f000;
	check(call(MINT_IOC_TRAMPOLINE, &t, why) == -EINVAL, "TRAMPOLINE over the EBDA -> EINVAL: \"%s\"", why);
	t.phys = 0;
	check(call(MINT_IOC_TRAMPOLINE, &t, why) == -EINVAL, "TRAMPOLINE at page 0 (not RAM) -> EINVAL: \"%s\"", why);
	t.phys = realmode_phys();
	if (t.phys) {
		ret = call(MINT_IOC_TRAMPOLINE, &t, why);
		check(ret == -EBUSY, "TRAMPOLINE over the host's real-mode code at 0x%llx -> %d: \"%s\"",
		      (unsigned long long)t.phys, ret, why);
	} else {
		check(0, "the module logged where the host's real-mode code is");
	}
	t.phys = TRAMP_PHYS;
	t.code_size = MINT_TRAMPOLINE_CODE_SIZE + 1;
	check(call(MINT_IOC_TRAMPOLINE, &t, why) == -EINVAL, "TRAMPOLINE code too big -> EINVAL: \"%s\"", why);
	check(iomem_count("mint") == 0, "  nothing claimed after the refusals");
	t.code_size = tramp_size;
	ret = call(MINT_IOC_TRAMPOLINE, &t, why);
	check(ret == 0, "TRAMPOLINE at 0x%llx (%zu bytes) -> %d \"%s\"", TRAMP_PHYS, tramp_size, ret, why);
	check(iomem_count("mint trampoline") == 1, "  /proc/iomem shows \"mint trampoline\"");
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
	c.apic_ids[0] = 0;
	bad_create("on the online boot core (APIC 0)", &c, -EBUSY);
	good_node(&c, "alpha");
	c.apic_ids[0] = 7;
	bad_create("on an unknown APIC ID 7", &c, -ENODEV);
	good_node(&c, "alpha");
	c.n_cpus = 2;
	c.apic_ids[1] = 1;
	bad_create("listing APIC ID 1 twice", &c, -EINVAL);
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
	c.ranges[1].size = 0x1800;
	bad_create("unaligned size", &c, -EINVAL);
	good_node(&c, "alpha");
	c.n_ranges = 3;
	c.ranges[2] = (struct mint_range){ NODE_START + 0x1000000, 0x1000000 };
	bad_create("ranges overlapping each other", &c, -EINVAL);
	good_node(&c, "alpha");
	c.status_phys = 0x30000000;
	bad_create("status page outside the node", &c, -EINVAL);
	good_node(&c, "");
	bad_create("empty name", &c, -EINVAL);
	good_node(&c, "alpha");
	c.pad0 = 1;
	bad_create("non-zero pad", &c, -EINVAL);
	good_node(&c, "alpha");
	c.apic_ids[5] = 3;
	bad_create("garbage in an unused APIC ID slot", &c, -EINVAL);
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

	good_node(&c2, "beta");
	c2.ranges[0] = (struct mint_range){ 0x40000, 0x10000 };
	c2.ranges[1] = (struct mint_range){ 0x58000000, 0x1000000 };
	c2.status_phys = 0x58000000;
	ret = call(MINT_IOC_CREATE, &c2, why);
	check(ret == -EBUSY, "CREATE beta on alpha's core -> %d \"%s\"", ret, why);
	c2.apic_ids[0] = 7;
	c2.ranges[1] = (struct mint_range){ NODE_START + NODE_SIZE - 0x1000000, 0x2000000 };
	c2.apic_ids[0] = 1;
	c2.n_cpus = 1;
	ret = call(MINT_IOC_CREATE, &c2, why);
	check(ret == -EBUSY, "CREATE beta over alpha's memory -> %d \"%s\"", ret, why);
	good_node(&c2, "alpha");
	ret = call(MINT_IOC_CREATE, &c2, why);
	check(ret == -EEXIST, "CREATE a second alpha -> %d \"%s\"", ret, why);
	check(iomem_count("mint:") == 2, "  still only alpha's two claims");

	t.phys = 0x60000;
	ret = call(MINT_IOC_TRAMPOLINE, &t, why);
	check(ret == -EBUSY, "TRAMPOLINE moved while a node exists -> %d \"%s\"", ret, why);
	t.phys = TRAMP_PHYS;

	ret = write_file("/sys/devices/system/cpu/cpu1/online", "1");
	check(ret != 0, "echo 1 > cpu1/online while alpha owns it -> %d (%s)", ret, strerror(-ret));
	check(system("grep -q 0 /sys/devices/system/cpu/cpu1/online") == 0, "  cpu1 still offline");

	ret = system("rmmod mint 2>/dev/null");
	check(ret != 0, "rmmod refused while a node exists");

	/* ---- LOAD ---- */
	memset(&l, 0, sizeof(l));
	hdr(&l.hdr);
	l.id = id;
	l.data = (uintptr_t)fake_start;
	l.size = fake_end - fake_start;
	l.phys = 0x60000000;
	ret = call(MINT_IOC_LOAD, &l, why);
	check(ret == -EINVAL, "LOAD outside the node -> %d \"%s\"", ret, why);
	l.phys = NODE_START + NODE_SIZE - 4;
	ret = call(MINT_IOC_LOAD, &l, why);
	check(ret == -EINVAL, "LOAD across the end of a range -> %d \"%s\"", ret, why);
	l.phys = FAKE_ENTRY;
	l.data = 16;
	ret = call(MINT_IOC_LOAD, &l, why);
	check(ret == -EFAULT, "LOAD from a bad user pointer -> %d \"%s\"", ret, why);
	l.id = 40;
	ret = call(MINT_IOC_LOAD, &l, why);
	check(ret == -ENOENT, "LOAD to a free id -> %d \"%s\"", ret, why);
	l.id = id;
	l.data = (uintptr_t)fake_start;
	ret = call(MINT_IOC_LOAD, &l, why);
	check(ret == 0, "LOAD %llu bytes of fake kernel at 0x%llx -> %d", (unsigned long long)l.size,
	      FAKE_ENTRY, ret);

	/* ---- STATUS listing ---- */
	for (i = 0; i < MINT_MAX_NODES; i++) {
		ret = status(i, &st);
		if (i == (int)id)
			check(ret == 0 && st.state == MINT_STATE_OWNED && !strcmp(st.name, "alpha"),
			      "STATUS %d: alpha, OWNED", i);
		else if (ret != -ENOENT)
			check(0, "STATUS %d of a free slot -> %d", i, ret);
	}
	check(status(MINT_MAX_NODES, &st) == -EINVAL, "STATUS id %d -> EINVAL", MINT_MAX_NODES);

	/* ---- START ---- */
	memset(&s, 0, sizeof(s));
	hdr(&s.hdr);
	s.id = id;
	s.boot_params = BOOT_PARAMS;
	s.entry = 0x70000000;
	ret = call(MINT_IOC_START, &s, why);
	check(ret == -EINVAL, "START with entry outside the node -> %d \"%s\"", ret, why);
	s.entry = FAKE_ENTRY;
	s.flags = 0x2;
	ret = call(MINT_IOC_START, &s, why);
	check(ret == -EINVAL, "START with an unknown flag -> %d \"%s\"", ret, why);
	s.flags = MINT_ENTRY_LONG_MODE;
	s.pml4 = NODE_START + 0x2000;
	s.pml5 = 0x70000000;
	ret = call(MINT_IOC_START, &s, why);
	check(ret == -EINVAL, "START long mode, PML5 outside the node -> %d \"%s\"", ret, why);
	s.pml5 = NODE_START + 0x1800;
	ret = call(MINT_IOC_START, &s, why);
	check(ret == -EINVAL, "START long mode, PML5 not page aligned -> %d \"%s\"", ret, why);
	s.flags = 0;
	ret = call(MINT_IOC_START, &s, why);
	check(ret == -EINVAL, "START 32-bit with page-table roots -> %d \"%s\"", ret, why);
	s.pml4 = 0;
	s.pml5 = 0;
	ret = call(MINT_IOC_START, &s, why);
	check(ret == 0, "START alpha -> %d \"%s\" (INIT..SIPI2: %llu TSC ticks)", ret, why,
	      (unsigned long long)(s.tsc_after_sipi - s.tsc_before_init));
	ret = call(MINT_IOC_START, &s, why);
	check(ret == -EBUSY, "START again -> %d \"%s\"", ret, why);
	ret = call(MINT_IOC_LOAD, &l, why);
	check(ret == -EBUSY, "LOAD after START -> %d \"%s\"", ret, why);

	/* Pretend to be the node's stock kernel rewriting the ELCR. */
	check(ioperm(0x4d0, 2, 1) == 0, "ioperm for the ELCR");
	elcr_before[0] = inb(0x4d0);
	elcr_before[1] = inb(0x4d1);
	outb(elcr_before[0] ^ 0x20, 0x4d0);

	for (i = 0; i < 200; i++) {
		ret = status(id, &st);
		if (ret || st.state == MINT_STATE_READY)
			break;
		sleep_ms(10);
	}
	check(ret == 0 && st.state == MINT_STATE_READY, "alpha READY after ~%d ms", i * 10);
	check(st.page.trampoline_apic == 1, "  trampoline stamped APIC ID %u", st.page.trampoline_apic);
	check(st.page.tsc_trampoline > st.tsc_before_init,
	      "  trampoline ran %llu TSC ticks after INIT (%.2f ms)",
	      (unsigned long long)(st.page.tsc_trampoline - st.tsc_before_init),
	      (st.page.tsc_trampoline - st.tsc_before_init) / (double)info.tsc_khz);
	check(*(uint32_t *)st.page.message == BOOT_PARAMS, "  fake kernel got ESI = 0x%x",
	      *(uint32_t *)st.page.message);
	check(inb(0x4d0) == elcr_before[0] && inb(0x4d1) == elcr_before[1],
	      "  ELCR restored to 0x%02x%02x once READY was seen", elcr_before[1], elcr_before[0]);
	hb1 = st.page.heartbeat;
	sleep_ms(100);
	status(id, &st);
	hb2 = st.page.heartbeat;
	check(hb2 > hb1, "  heartbeat runs: %llu -> %llu", (unsigned long long)hb1,
	      (unsigned long long)hb2);

	/* ---- DESTROY ---- */
	memset(&d, 0, sizeof(d));
	hdr(&d.hdr);
	d.id = id;
	ret = call(MINT_IOC_DESTROY, &d, why);
	check(ret == 0, "DESTROY alpha -> %d", ret);
	check(iomem_count("mint:") == 0, "  claims released");
	check(status(id, &st) == -ENOENT, "  STATUS of the destroyed id -> ENOENT");
	check(phys_is_zero(FAKE_ENTRY, fake_end - fake_start) == 1,
	      "  alpha's memory (its kernel at 0x%llx) reads back zero through /dev/mem", FAKE_ENTRY);
	check(phys_is_zero(STATUS_PHYS, 4096) == 1, "  and so does its status page");
	check(phys_is_zero(LOW_START, LOW_SIZE) == 1, "  and its low slice");
	/* The status page is still readable through /dev/mem-free means only by re-creating. */
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
	memset(&l, 0, sizeof(l));
	hdr(&l.hdr);
	l.id = c.id;
	l.phys = STATUS_PHYS;
	l.data = (uintptr_t)pattern;
	l.size = sizeof(pattern);
	ret = call(MINT_IOC_LOAD, &l, why);
	ret = ret ? ret : status(c.id, &st);
	check(ret == 0 && st.page.heartbeat == 0xa5a5a5a5a5a5a5a5ull,
	      "  LOAD of a pattern into gamma's status page shows in STATUS (heartbeat %llx)",
	      (unsigned long long)st.page.heartbeat);
	l.flags = MINT_LOAD_ZERO;
	l.phys = NODE_START;
	l.size = NODE_SIZE;
	l.data = 0;
	ret = call(MINT_IOC_LOAD, &l, why);
	ret = ret ? ret : status(c.id, &st);
	check(ret == 0 && st.page.heartbeat == 0,
	      "  a zero pass over gamma's memory after it clears it (heartbeat %llx)",
	      (unsigned long long)st.page.heartbeat);
	l.flags = 0;
	l.phys = FAKE_ENTRY;
	l.data = (uintptr_t)fake_start;
	l.size = fake_end - fake_start;

	/* Without anyone looking at STATUS, the ELCR comes back ~10 s after START anyway. */
	l.id = c.id;
	check(call(MINT_IOC_LOAD, &l, NULL) == 0, "LOAD the fake kernel into gamma");
	s.id = c.id;
	check(call(MINT_IOC_START, &s, why) == 0, "START gamma");
	outb(elcr_before[0] ^ 0x20, 0x4d0);
	sleep_ms(5000);
	check(inb(0x4d0) == (elcr_before[0] ^ 0x20), "  ELCR still as the node left it after 5 s");
	sleep_ms(6000);
	check(inb(0x4d0) == elcr_before[0] && inb(0x4d1) == elcr_before[1],
	      "  ELCR restored by the fallback 10 s after START, without STATUS");
	d.id = c.id;
	check(call(MINT_IOC_DESTROY, &d, why) == 0, "DESTROY gamma");
	check(call(MINT_IOC_DESTROY, &d, why) == -ENOENT, "DESTROY it again -> ENOENT");

	ret = write_file("/sys/devices/system/cpu/cpu1/online", "1");
	check(ret == 0, "echo 1 > cpu1/online after DESTROY -> %d", ret);
	check(system("grep -q 1 /sys/devices/system/cpu/cpu1/online") == 0, "  cpu1 is online in the host");
	good_node(&c, "delta");
	ret = call(MINT_IOC_CREATE, &c, why);
	check(ret == -EBUSY, "CREATE on the now-online cpu1 -> %d \"%s\"", ret, why);
	check(write_file("/sys/devices/system/cpu/cpu1/online", "0") == 0, "cpu1 offline again");

	close(fd);
	ret = system("rmmod mint");
	check(ret == 0, "rmmod with only the trampoline installed");
	check(iomem_count("mint") == 0, "  trampoline claim gone after rmmod");

	printf("%s: %d failure(s)\n", failures ? "SMOKE FAILED" : "SMOKE PASSED", failures);
	return failures ? 1 : 0;
}
