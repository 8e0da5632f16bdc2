/* vmlab test guest: a freestanding 32-bit multiboot kernel that gives a live migration a
 * known, measurable memory behaviour.
 *
 *   1. calibrate the TSC against the PIT (50 ms one-shot on channel 2);
 *   2. fill `fill` MiB of RAM starting at 4 MiB with non-zero data (so those pages are
 *      "normal" pages for QEMU, not zero pages);
 *   3. forever: rewrite one byte of every 4 KiB page of the `ws` MiB working set starting at
 *      4 MiB, in order, optionally paced to `rate` KiB/s of page writes (rdtsc busy-wait).
 *
 * Options come from QEMU's -append, e.g. "fill=200 ws=16 rate=8192".  The guest publishes
 * its progress in a status block at physical address 0x9000 (see struct status) that the host
 * reads with QMP/HMP `xp`: the write counter there gives the real page-write rate.
 */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define STATUS_ADDR 0x9000u
#define STATUS_MAGIC 0x564d4c42u /* "VMLB" */
#define REGION_BASE (4u << 20)   /* fill and working set start at 4 MiB */
#define PAGE 4096u

enum { PHASE_BOOT = 0, PHASE_FILL = 1, PHASE_RUN = 2 };

struct status {            /* byte offset: meaning */
    u32 magic;             /*  0: STATUS_MAGIC once the guest runs */
    u32 phase;             /*  4: PHASE_* */
    u32 writes_lo;         /*  8: page writes since the run phase began (64-bit) */
    u32 writes_hi;         /* 12 */
    u32 passes;            /* 16: completed passes over the working set */
    u32 tsc_khz;           /* 20: calibrated TSC frequency */
    u32 fill_mib;          /* 24: options as parsed */
    u32 ws_mib;            /* 28 */
    u32 rate_kib_s;        /* 32 */
};

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u64 rdtsc(void) { u32 lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((u64)hi << 32) | lo; }
static inline void cpu_relax(void) { __asm__ volatile("pause"); }

static void serial_puts(const char *s) { while (*s) outb(0x3f8, (u8)*s++); }
static void serial_putu(u32 v)
{
    char buf[11]; int i = 10; buf[i] = 0;
    do { buf[--i] = (char)('0' + v % 10); v /= 10; } while (v && i > 0);
    serial_puts(buf + i);
}

/* Value of "key=NUMBER" in the command line, or dflt. */
static u32 option(const char *cmdline, const char *key, u32 dflt)
{
    const char *p = cmdline;
    while (p && *p) {
        while (*p == ' ') p++;
        const char *k = key, *q = p;
        while (*k && *q == *k) { k++; q++; }
        if (!*k && *q == '=') {
            u32 v = 0; q++;
            while (*q >= '0' && *q <= '9') v = v * 10 + (u32)(*q++ - '0');
            return v;
        }
        while (*p && *p != ' ') p++;
    }
    return dflt;
}

/* TSC ticks per millisecond, measured against a 50 ms one-shot of PIT channel 2. */
static u32 calibrate_tsc_khz(void)
{
    const u16 count = 59659; /* 1193182 Hz * 0.05 s */
    outb(0x61, (u8)((inb(0x61) & ~0x02) | 0x01)); /* gate channel 2 on, speaker off */
    outb(0x43, 0xB0);                             /* channel 2, lo/hi byte, mode 0 */
    outb(0x42, (u8)(count & 0xff));
    outb(0x42, (u8)(count >> 8));
    u64 t0 = rdtsc();
    while (!(inb(0x61) & 0x20)) cpu_relax();
    u64 t1 = rdtsc();
    return (u32)((t1 - t0) / 50);
}

void kmain(u32 magic, u32 mbi)
{
    volatile struct status *st = (volatile struct status *)STATUS_ADDR;
    const char *cmdline = 0;
    if (magic == 0x2BADB002u && (((u32 *)mbi)[0] & 4u)) cmdline = (const char *)((u32 *)mbi)[4];

    u32 fill_mib = option(cmdline, "fill", 0);
    u32 ws_mib = option(cmdline, "ws", 0);
    u32 rate_kib_s = option(cmdline, "rate", 0); /* 0: as fast as the CPU goes */

    st->phase = PHASE_BOOT;
    st->writes_lo = st->writes_hi = 0;
    st->passes = 0;
    st->fill_mib = fill_mib;
    st->ws_mib = ws_mib;
    st->rate_kib_s = rate_kib_s;
    st->tsc_khz = calibrate_tsc_khz();
    st->magic = STATUS_MAGIC;

    serial_puts("vmlab guest: fill=");
    serial_putu(fill_mib);
    serial_puts(" ws=");
    serial_putu(ws_mib);
    serial_puts(" rate=");
    serial_putu(rate_kib_s);
    serial_puts(" tsc_khz=");
    serial_putu(st->tsc_khz);
    serial_puts("\n");

    /* Fill: every 32-bit word gets a non-zero value (QEMU sends a page in full as soon as a
     * single byte of it is non-zero). */
    st->phase = PHASE_FILL;
    u32 *w = (u32 *)REGION_BASE;
    u32 words = fill_mib * (1u << 20) / 4u;
    for (u32 i = 0; i < words; i++) w[i] = 0x9E3779B9u ^ (i | 1u);

    u32 pages = ws_mib * (1u << 20) / PAGE;
    st->phase = PHASE_RUN;
    serial_puts("vmlab guest: running\n");
    if (!pages) {
        for (;;) __asm__ volatile("hlt");
    }

    /* Pacing: one page write every `ticks` TSC ticks; a guest that falls more than 10 ms
     * behind (e.g. while paused) restarts its schedule instead of bursting to catch up. */
    u64 ticks = 0, slack = (u64)st->tsc_khz * 10u;
    if (rate_kib_s) ticks = (u64)st->tsc_khz * 1000u * (PAGE / 1024u) / rate_kib_s;
    u64 next = rdtsc();
    u64 writes = 0;
    u8 value = 1;
    for (;;) {
        volatile u8 *p = (volatile u8 *)REGION_BASE;
        for (u32 i = 0; i < pages; i++, p += PAGE) {
            *p = value;
            writes++;
            st->writes_lo = (u32)writes;
            st->writes_hi = (u32)(writes >> 32);
            if (ticks) {
                next += ticks;
                u64 now = rdtsc();
                if (now > next + slack) next = now;
                while (rdtsc() < next) cpu_relax();
            }
        }
        st->passes = st->passes + 1;
        value = (u8)(value + 2); /* odd, so never zero */
    }
}
