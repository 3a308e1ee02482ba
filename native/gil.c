/*
 * gilstat's measurement, in C (part of libflight_boot.so, loaded in the target).
 *
 * Exact per-thread GIL statistics without symbols: CPython 3.9-3.13 (with a GIL) takes and drops
 * the GIL with pthread_mutex_lock / pthread_cond_timedwait / pthread_cond_signal /
 * pthread_mutex_unlock on the GIL's own mutex and cond, called through the PLT of the module that
 * holds the interpreter (libpython3.X.so on shared builds, the executable on static and distro
 * builds, even where take_gil / drop_gil are inlined or stripped). We swap those GOT slots (one
 * atomic 8-byte store each) for wrappers that pass everything through and account only the calls
 * on the GIL's mutex and cond:
 *
 *   take: lock(gil mutex) by a thread that does not hold the GIL ... unlock(gil mutex)
 *         wait = unlock - lock; the GIL is held from that unlock
 *   drop: lock(gil mutex) by the thread holding it, signal(gil cond), unlock(gil mutex)
 *         hold = this lock - the take's unlock; drop = unlock - lock
 *
 * The GIL's mutex and cond are found by observation, not by per-version offsets: with the hooks
 * installed but not yet counting, the thread that turns gilstat on releases and retakes the GIL
 * once (PyEval_SaveThread / PyEval_RestoreThread, found with dlsym like tracer.c finds the C
 * API); the mutex it locks first while dropping, and the cond it signals under it, are the GIL's.
 * Retaking must lock the same mutex, or nothing is installed.
 *
 * Counters are per thread, written only by their thread (a seqlock per entry lets the reader see
 * a consistent entry), in a bounded table (max_threads; later threads are counted as overflow).
 * Waits and holds over the thresholds go to a bounded ring (under a mutex of our own: they are
 * rare), read and emptied by the agent. Off puts the original slot values back; the wrappers stay
 * mapped (a thread may still be inside one, e.g. waiting in pthread_cond_timedwait).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define MAX_THREADS 1000
#define RING 1024

typedef int (*lock_fn)(pthread_mutex_t *);
typedef int (*timedwait_fn)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
typedef int (*wait_fn)(pthread_cond_t *, pthread_mutex_t *);
typedef int (*signal_fn)(pthread_cond_t *);

enum { FN_LOCK, FN_UNLOCK, FN_TIMEDWAIT, FN_WAIT, FN_SIGNAL, FN_COUNT };
static const char *const NAMES[FN_COUNT] = {
    "pthread_mutex_lock", "pthread_mutex_unlock", "pthread_cond_timedwait", "pthread_cond_wait",
    "pthread_cond_signal",
};

#define MAX_SLOTS 16
typedef struct {
    void **slot;
    void *original;
    int function;
} got_slot;

static got_slot slots[MAX_SLOTS];
static int slot_count;
static int installed;
static char error_text[1024];
static char module_name[512];

/* what the wrappers read: set before the slots are swapped, cleared after they are restored */
static pthread_mutex_t *volatile gil_mutex;
static pthread_cond_t *volatile gil_cond;
static volatile int measuring;
static volatile int64_t take_threshold_ns, hold_threshold_ns;

/* discovery (on's own thread only) */
static volatile pid_t discover_tid;
static volatile int discover_stage; /* 1: dropping, 2: taking, 0: off */
static pthread_mutex_t *volatile seen_drop_mutex, *volatile seen_take_mutex;
static pthread_cond_t *volatile seen_cond;

typedef struct {
    volatile uint32_t seq; /* odd while its thread updates it */
    int32_t used;
    int64_t native_id;
    uint64_t ident; /* pthread_self(): threading's ident */
    int64_t takes, wait_ns, drops, drop_ns, hold_ns, timedwaits;
    int64_t max_wait_ns, max_hold_ns;
    int64_t hold_start;    /* >0 while it holds the GIL (since then) */
    int64_t wait_start;    /* >0 while it is taking it */
    int32_t section;       /* 0 none, 1 take, 2 drop */
    int32_t pad;
    int64_t section_start;
} gil_entry;

static gil_entry table[MAX_THREADS];
static volatile int32_t table_used, table_limit = 500;
static volatile int64_t overflow_threads;
static volatile uint32_t generation = 1;
static __thread uint32_t my_generation;
static __thread gil_entry *my_entry;

typedef struct {
    int64_t native_id;
    uint64_t ident;
    int32_t event; /* 0 wait, 1 hold */
    int32_t pad;
    int64_t duration_ns, start_ns, end_ns;
    int64_t takes_at; /* the thread's takes when it was queued (the agent: has it run since?) */
} gil_event;

static gil_event ring[RING];
static int64_t ring_head, ring_tail, ring_dropped;
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;

static inline int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline pid_t my_tid(void) { return (pid_t)syscall(SYS_gettid); }

static gil_entry *entry(void) {
    uint32_t g = generation;
    if (my_generation == g)
        return my_entry;
    my_generation = g;
    my_entry = NULL;
    int32_t index = __atomic_fetch_add(&table_used, 1, __ATOMIC_RELAXED);
    if (index >= table_limit) {
        __atomic_fetch_add(&overflow_threads, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    gil_entry *e = &table[index];
    e->native_id = my_tid();
    e->ident = (uint64_t)pthread_self();
    __atomic_store_n(&e->used, 1, __ATOMIC_RELEASE);
    my_entry = e;
    return e;
}

static inline void begin_update(gil_entry *e) {
    __atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
}
static inline void end_update(gil_entry *e) { __atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELEASE); }

static void queue_event(gil_entry *e, int event, int64_t start, int64_t end) {
    pthread_mutex_lock(&ring_lock);
    if (ring_head - ring_tail >= RING) {
        ring_dropped++;
    } else {
        gil_event *v = &ring[ring_head % RING];
        v->native_id = e->native_id;
        v->ident = e->ident;
        v->event = event;
        v->duration_ns = end - start;
        v->start_ns = start;
        v->end_ns = end;
        v->takes_at = e->takes;
        ring_head++;
    }
    pthread_mutex_unlock(&ring_lock);
}

static int lock_hook(pthread_mutex_t *m) {
    if (m == gil_mutex && measuring) {
        int64_t t = now_ns();
        gil_entry *e = entry();
        if (e) {
            begin_update(e);
            e->section_start = t;
            if (e->hold_start) { /* the holder locks the GIL's mutex: a drop */
                int64_t held = t - e->hold_start;
                e->hold_ns += held;
                if (held > e->max_hold_ns)
                    e->max_hold_ns = held;
                e->section = 2;
                int64_t start = e->hold_start;
                e->hold_start = 0;
                end_update(e);
                if (held > hold_threshold_ns)
                    queue_event(e, 1, start, t);
            } else {
                e->section = 1;
                e->wait_start = t;
                end_update(e);
            }
        }
    } else if (discover_stage && my_tid() == discover_tid) {
        if (discover_stage == 1 && !seen_drop_mutex)
            seen_drop_mutex = m;
        else if (discover_stage == 2 && !seen_take_mutex)
            seen_take_mutex = m;
    }
    return pthread_mutex_lock(m);
}

static int unlock_hook(pthread_mutex_t *m) {
    if (m == gil_mutex && measuring) {
        int64_t t = now_ns();
        gil_entry *e = entry();
        if (e && e->section) {
            begin_update(e);
            int64_t spent = t - e->section_start;
            if (e->section == 1) {
                e->takes++;
                e->wait_ns += spent;
                if (spent > e->max_wait_ns)
                    e->max_wait_ns = spent;
                e->wait_start = 0;
                e->hold_start = t;
            } else {
                e->drops++;
                e->drop_ns += spent;
            }
            int section = e->section;
            int64_t start = e->section_start;
            e->section = 0;
            end_update(e);
            if (section == 1 && spent > take_threshold_ns)
                queue_event(e, 0, start, t);
        }
    }
    return pthread_mutex_unlock(m);
}

static int timedwait_hook(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *ts) {
    if (m == gil_mutex && measuring) {
        gil_entry *e = entry();
        if (e)
            e->timedwaits++; /* only its own thread writes it */
    }
    return pthread_cond_timedwait(c, m, ts);
}

static int wait_hook(pthread_cond_t *c, pthread_mutex_t *m) { return pthread_cond_wait(c, m); }

static int signal_hook(pthread_cond_t *c) {
    if (c == gil_cond && measuring) {
        gil_entry *e = entry();
        if (e && e->section == 1) { /* a take section that signals the GIL's cond is a drop */
            begin_update(e);
            e->section = 2;
            e->wait_start = 0;
            end_update(e);
        }
    } else if (discover_stage == 1 && !seen_cond && my_tid() == discover_tid) {
        seen_cond = c;
    }
    return pthread_cond_signal(c);
}

static void *const HOOKS[FN_COUNT] = {
    (void *)lock_hook, (void *)unlock_hook, (void *)timedwait_hook, (void *)wait_hook, (void *)signal_hook,
};

/* ---- finding the GOT slots of the module that holds the interpreter ------------------------ */

typedef struct {
    uintptr_t inside; /* an address in the interpreter's code */
    int found;
} search;

static int function_index(const char *name) {
    for (int i = 0; i < FN_COUNT; i++)
        if (strcmp(name, NAMES[i]) == 0)
            return i;
    return -1;
}

#if defined(__x86_64__)
#define R_JUMP_SLOT R_X86_64_JUMP_SLOT
#define R_GLOB_DAT R_X86_64_GLOB_DAT
#elif defined(__aarch64__)
#define R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#define R_GLOB_DAT R_AARCH64_GLOB_DAT
#endif

static void scan_relocations(uintptr_t base, const ElfW(Rela) *rela, size_t size, const ElfW(Sym) *symtab,
                             const char *strtab) {
    for (size_t i = 0; i < size / sizeof(ElfW(Rela)); i++) {
        uint32_t type = ELF64_R_TYPE(rela[i].r_info);
        if (type != R_JUMP_SLOT && type != R_GLOB_DAT)
            continue;
        uint32_t sym = ELF64_R_SYM(rela[i].r_info);
        int f = function_index(strtab + symtab[sym].st_name);
        if (f < 0 || slot_count >= MAX_SLOTS)
            continue;
        slots[slot_count].slot = (void **)(base + rela[i].r_offset);
        slots[slot_count].function = f;
        slot_count++;
    }
}

static uintptr_t dyn_pointer(uintptr_t base, ElfW(Addr) value) {
    /* glibc relocates most d_ptr values in the link map's dynamic section; a few loaders do not */
    return value < base ? base + value : value;
}

static int find_module(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    search *s = data;
    int inside = 0;
    const ElfW(Dyn) *dynamic = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + p->p_vaddr;
        if (p->p_type == PT_LOAD && s->inside >= start && s->inside < start + p->p_memsz)
            inside = 1;
        if (p->p_type == PT_DYNAMIC)
            dynamic = (const ElfW(Dyn) *)(info->dlpi_addr + p->p_vaddr);
    }
    if (!inside)
        return 0;
    s->found = 1;
    strncpy(module_name, info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : "(the executable)",
            sizeof module_name - 1);
    if (!dynamic)
        return 1;
    uintptr_t base = info->dlpi_addr;
    const ElfW(Rela) *jmprel = NULL, *rela = NULL;
    size_t jmprel_size = 0, rela_size = 0;
    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    for (const ElfW(Dyn) *d = dynamic; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_JMPREL: jmprel = (const ElfW(Rela) *)dyn_pointer(base, d->d_un.d_ptr); break;
        case DT_PLTRELSZ: jmprel_size = d->d_un.d_val; break;
        case DT_RELA: rela = (const ElfW(Rela) *)dyn_pointer(base, d->d_un.d_ptr); break;
        case DT_RELASZ: rela_size = d->d_un.d_val; break;
        case DT_SYMTAB: symtab = (const ElfW(Sym) *)dyn_pointer(base, d->d_un.d_ptr); break;
        case DT_STRTAB: strtab = (const char *)dyn_pointer(base, d->d_un.d_ptr); break;
        default: break;
        }
    }
    if (!symtab || !strtab)
        return 1;
    if (jmprel)
        scan_relocations(base, jmprel, jmprel_size, symtab, strtab);
    if (rela)
        scan_relocations(base, rela, rela_size, symtab, strtab);
    return 1;
}

static int find_slots(void) {
    slot_count = 0;
    module_name[0] = 0;
    void *inside = dlsym(RTLD_DEFAULT, "PyEval_SaveThread");
    if (!inside) {
        strcpy(error_text, "the Python C API was not found in this process");
        return -1;
    }
    search s = {(uintptr_t)inside, 0};
    dl_iterate_phdr(find_module, &s);
    if (!s.found) {
        strcpy(error_text, "the module that holds the interpreter was not found");
        return -1;
    }
    int have[FN_COUNT] = {0};
    for (int i = 0; i < slot_count; i++)
        have[slots[i].function] = 1;
    if (!have[FN_LOCK] || !have[FN_UNLOCK] || !have[FN_SIGNAL]) {
        snprintf(error_text, sizeof error_text,
                 "%s does not call pthread_mutex_lock/unlock and pthread_cond_signal through its GOT",
                 module_name);
        return -1;
    }
    return 0;
}

/* ---- writing slots ---------------------------------------------------------------------------- */

static int page_protection(void *address) {
    /* the protection of the page holding address, from /proc/self/maps (RELRO makes GOTs read-only) */
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps)
        return -1;
    char line[512];
    int prot = -1;
    uintptr_t a = (uintptr_t)address;
    while (fgets(line, sizeof line, maps)) {
        uintptr_t start, end;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3)
            continue;
        if (a >= start && a < end) {
            prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
                   (perms[2] == 'x' ? PROT_EXEC : 0);
            break;
        }
    }
    fclose(maps);
    return prot;
}

static int write_slot(void **slot, void *value) {
    int prot = page_protection(slot);
    if (prot < 0)
        return -1;
    long page = sysconf(_SC_PAGESIZE);
    void *start = (void *)((uintptr_t)slot & ~(uintptr_t)(page - 1));
    if (!(prot & PROT_WRITE) && mprotect(start, (size_t)page, prot | PROT_WRITE) != 0)
        return -1;
    __atomic_store_n(slot, value, __ATOMIC_SEQ_CST);
    if (!(prot & PROT_WRITE))
        mprotect(start, (size_t)page, prot);
    return 0;
}

static void restore_slots(void) {
    for (int i = slot_count - 1; i >= 0; i--)
        write_slot(slots[i].slot, slots[i].original);
}

static int swap_slots(void) {
    for (int i = 0; i < slot_count; i++) {
        slots[i].original = __atomic_load_n(slots[i].slot, __ATOMIC_SEQ_CST);
        if (write_slot(slots[i].slot, HOOKS[slots[i].function]) != 0) {
            slot_count = i; /* put back those already swapped */
            restore_slots();
            snprintf(error_text, sizeof error_text, "cannot write the GOT of %s: %s", module_name,
                     strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* ---- the API the agent calls (ctypes.PyDLL: with the GIL held) ----------------------------- */

EXPORT const char *flight_gil_error(void) { return error_text; }
EXPORT const char *flight_gil_module(void) { return module_name; }
EXPORT int flight_gil_installed(void) { return installed; }

/* The GOT slots gilstat would hook, and what they hold now (tests: restored exactly by off). */
EXPORT int flight_gil_slots(uint64_t *addresses, uint64_t *values, int capacity) {
    if (installed) {
        int n = 0;
        for (; n < slot_count && n < capacity; n++) {
            addresses[n] = (uint64_t)(uintptr_t)slots[n].slot;
            values[n] = (uint64_t)(uintptr_t)__atomic_load_n(slots[n].slot, __ATOMIC_SEQ_CST);
        }
        return n;
    }
    if (find_slots() != 0)
        return -1;
    int n = 0;
    for (; n < slot_count && n < capacity; n++) {
        addresses[n] = (uint64_t)(uintptr_t)slots[n].slot;
        values[n] = (uint64_t)(uintptr_t)__atomic_load_n(slots[n].slot, __ATOMIC_SEQ_CST);
    }
    slot_count = 0;
    return n;
}

/* Install and start counting. Must be called holding the GIL. 0, or -1 with flight_gil_error(). */
EXPORT int flight_gil_on(int64_t take_ns, int64_t hold_ns, int32_t max_threads) {
    if (installed) {
        strcpy(error_text, "gilstat is already on");
        return -1;
    }
    void *(*save)(void) = (void *(*)(void))dlsym(RTLD_DEFAULT, "PyEval_SaveThread");
    void (*restore)(void *) = (void (*)(void *))dlsym(RTLD_DEFAULT, "PyEval_RestoreThread");
    if (!save || !restore) {
        strcpy(error_text, "the Python C API was not found in this process");
        return -1;
    }
    if (find_slots() != 0)
        return -1;
    measuring = 0;
    gil_mutex = NULL;
    gil_cond = NULL;
    seen_drop_mutex = seen_take_mutex = NULL;
    seen_cond = NULL;
    discover_tid = my_tid();
    if (swap_slots() != 0)
        return -1;
    /* observe one drop and one take on this thread */
    discover_stage = 1;
    void *state = save();
    discover_stage = 2;
    restore(state);
    discover_stage = 0;
    if (!seen_drop_mutex || !seen_cond || seen_drop_mutex != seen_take_mutex) {
        restore_slots();
        snprintf(error_text, sizeof error_text,
                 "the GIL's mutex and cond were not seen in %s (no GIL in this build, or it does not use "
                 "pthread mutexes)",
                 module_name);
        slot_count = 0;
        return -1;
    }
    /* a new generation: threads take fresh entries */
    pthread_mutex_lock(&ring_lock);
    ring_head = ring_tail = ring_dropped = 0;
    pthread_mutex_unlock(&ring_lock);
    memset(table, 0, sizeof table);
    overflow_threads = 0;
    table_limit = max_threads < 1 ? 1 : (max_threads > MAX_THREADS ? MAX_THREADS : max_threads);
    table_used = 0;
    __atomic_fetch_add(&generation, 1, __ATOMIC_SEQ_CST);
    take_threshold_ns = take_ns;
    hold_threshold_ns = hold_ns;
    gil_mutex = seen_drop_mutex;
    gil_cond = seen_cond;
    /* this thread holds the GIL now */
    gil_entry *e = entry();
    if (e)
        e->hold_start = now_ns();
    __atomic_store_n(&measuring, 1, __ATOMIC_SEQ_CST);
    installed = 1;
    return 0;
}

/* Stop: the slots get their values back; the wrappers stay (a thread may be inside one). */
EXPORT int flight_gil_off(void) {
    if (!installed)
        return 0;
    __atomic_store_n(&measuring, 0, __ATOMIC_SEQ_CST);
    restore_slots();
    slot_count = 0;
    installed = 0;
    return 1;
}

typedef struct {
    int64_t native_id;
    uint64_t ident;
    int64_t takes, wait_ns, drops, drop_ns, hold_ns, timedwaits, max_wait_ns, max_hold_ns;
} gil_row;

/* Copy the counters; a thread holding (or taking) the GIL now has the part so far included. */
EXPORT int32_t flight_gil_read(gil_row *rows, int32_t capacity, int64_t *overflow) {
    int64_t t = now_ns();
    int32_t used = table_used;
    if (used > table_limit)
        used = table_limit;
    int32_t n = 0;
    for (int32_t i = 0; i < used && n < capacity; i++) {
        gil_entry *e = &table[i];
        if (!__atomic_load_n(&e->used, __ATOMIC_ACQUIRE))
            continue;
        gil_row r;
        for (int tries = 0; tries < 1000; tries++) {
            uint32_t s0 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
            r.native_id = e->native_id;
            r.ident = e->ident;
            r.takes = e->takes;
            r.wait_ns = e->wait_ns + (e->wait_start ? t - e->wait_start : 0);
            r.drops = e->drops;
            r.drop_ns = e->drop_ns;
            r.hold_ns = e->hold_ns + (e->hold_start ? t - e->hold_start : 0);
            r.timedwaits = e->timedwaits;
            r.max_wait_ns = e->max_wait_ns;
            r.max_hold_ns = e->max_hold_ns;
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            if (!(s0 & 1) && __atomic_load_n(&e->seq, __ATOMIC_RELAXED) == s0)
                break;
        }
        rows[n++] = r;
    }
    if (overflow)
        *overflow = overflow_threads;
    return n;
}

/* Move up to capacity queued long waits and holds out; *dropped: those the full ring lost. */
EXPORT int32_t flight_gil_events(gil_event *out, int32_t capacity, int64_t *dropped) {
    int32_t n = 0;
    pthread_mutex_lock(&ring_lock);
    while (ring_tail < ring_head && n < capacity)
        out[n++] = ring[ring_tail++ % RING];
    if (dropped)
        *dropped = ring_dropped;
    pthread_mutex_unlock(&ring_lock);
    return n;
}

EXPORT int64_t flight_gil_now(void) { return now_ns(); }
